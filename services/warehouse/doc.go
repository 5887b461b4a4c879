// Package warehouse is the warehouse service: it discovers what every Warehouse's
// subscriptions offer (Git commits, images, charts), records it as the Warehouse's status in
// the dray-warehouses bucket, and turns the newest artifacts into Freight (docs/resources.md#discovery-and-freight-creation).
//
// Each Warehouse is discovered when it was never discovered, when its spec changed, when a
// refresh command (dray.cmd.<project>.refresh) asks for it, and when its interval passed.
// Discovery of many Warehouses runs concurrently but bounded; a failing one is retried with
// exponential backoff and never delays the others.
package warehouse
