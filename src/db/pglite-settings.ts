/**
 * The embedded database serves one process and a modest data set; PostgreSQL's default 128 MB of shared
 * buffers only made the process bigger (measured: about 90 MB more resident memory after 20,000 orders).
 */
export const EMBEDDED_SETTINGS = ["shared_buffers = 16MB"];
