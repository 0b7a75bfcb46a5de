import GRDB

/// The ledger's schema, as named GRDB migrations. A migration that has shipped is never modified;
/// changes come as new migrations. Names are prefixed `ledger-` so they can share a database
/// (and its `grdb_migrations` table) with the aggregator's own migrations.
public enum LedgerMigrations {
    /// Registers the ledger's migrations in `migrator`, for a caller that runs its own migrator.
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("ledger-v1-entries") { db in
            // The CHECKs and the triggers catch mistakes in the aggregator's own code; they are not
            // the security of the ledger (anyone with the file can drop them): the chain is.
            try db.execute(sql: """
                CREATE TABLE ledger_entry (
                    sequence INTEGER PRIMARY KEY CHECK (sequence >= 1),
                    time TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    round INTEGER CHECK (round >= 0),
                    site TEXT,
                    payload TEXT NOT NULL,
                    previous_hash BLOB NOT NULL CHECK (length(previous_hash) = 32),
                    hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
                    canonical BLOB NOT NULL,
                    signature BLOB NOT NULL CHECK (length(signature) = 64)
                );
                CREATE INDEX ledger_entry_round_site ON ledger_entry(round, site);
                CREATE TRIGGER ledger_entry_append_only_update BEFORE UPDATE ON ledger_entry
                BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
                CREATE TRIGGER ledger_entry_append_only_delete BEFORE DELETE ON ledger_entry
                BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
                """)
        }
    }

    /// A migrator holding only the ledger's migrations.
    public static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        register(in: &migrator)
        return migrator
    }
}
