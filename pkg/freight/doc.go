// Package freight computes what identifies a Freight: its content-derived ID
// (docs/resources.md#freight-ids), the normalised repository URLs the ID and artifact matching use (#how-urls-are-compared), and generated
// <adjective>-<animal> aliases (#aliases). IDs equal the ones Kargo computes for the same content.
package freight
