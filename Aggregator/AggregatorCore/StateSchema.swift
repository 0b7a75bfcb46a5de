import GRDB
import Ledger

/// The aggregator's tables, beside the ledger's in `ledger.sqlite` so that a state change and
/// its ledger entry commit in one transaction. Migrations are named `aggregator-…`; a shipped
/// migration is never modified.
enum StateSchema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        LedgerMigrations.register(in: &migrator)
        migrator.registerMigration("aggregator-v1") { db in
            try db.execute(sql: """
                CREATE TABLE site (
                    id TEXT PRIMARY KEY,
                    serial TEXT NOT NULL,
                    fingerprint TEXT NOT NULL,
                    certificate BLOB NOT NULL,
                    enrolled_at TEXT NOT NULL,
                    revoked_at TEXT,
                    revocation_reason TEXT
                );
                CREATE TABLE revoked_serial (
                    serial TEXT PRIMARY KEY,
                    site TEXT,
                    reason TEXT NOT NULL,
                    revoked_at TEXT NOT NULL
                );
                CREATE TABLE campaign (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    base_digest TEXT NOT NULL,
                    plan BLOB NOT NULL,
                    rounds INTEGER NOT NULL CHECK (rounds >= 1),
                    initial_round INTEGER NOT NULL,
                    started_at TEXT NOT NULL,
                    finished_at TEXT
                );
                CREATE TABLE round (
                    id INTEGER PRIMARY KEY CHECK (id >= 0),
                    campaign INTEGER NOT NULL REFERENCES campaign(id),
                    state TEXT NOT NULL,
                    global_digest TEXT,
                    result_digest TEXT,
                    quorum INTEGER NOT NULL,
                    eligible_sites TEXT NOT NULL,
                    opened_at TEXT NOT NULL,
                    deadline TEXT NOT NULL,
                    close_requested INTEGER NOT NULL DEFAULT 0,
                    closed_at TEXT,
                    failure TEXT
                );
                CREATE TABLE site_update (
                    round INTEGER NOT NULL REFERENCES round(id),
                    site TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    samples INTEGER NOT NULL,
                    bytes INTEGER NOT NULL,
                    step_norm REAL,
                    accepted_at TEXT NOT NULL,
                    ledger_sequence INTEGER NOT NULL,
                    superseded INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (round, site, digest)
                );
                """)
        }
        return migrator
    }
}
