// The one part of better-sqlite3 (indexeddbshim's SQLite driver) store.ts touches: its
// Database class, to switch indexeddbshim's databases to write-ahead logging.
declare module 'better-sqlite3' {
  const Database: { prototype: object };
  export default Database;
}
