import type { Database } from "../../db/database";

/**
 * Fresh planner statistics for `orders` (why and when: domain/purchase/planner-statistics.ts). Aurora DSQL takes
 * ANALYZE with a relation name, as PostgreSQL and PGlite do ("Supported SQL for Aurora DSQL", utility
 * commands: "ANALYZE (relation names only)").
 */
export async function analyzeOrders(db: Database): Promise<void> {
  await db.query("ANALYZE orders");
}
