// Package freight computes what identifies a Freight: its content-derived ID (RESOURCES.md
// §3.1), the normalised repository URLs the ID and artifact matching use (§2.6), and generated
// <adjective>-<animal> aliases (§3.2). IDs equal the ones Kargo computes for the same content.
package freight
