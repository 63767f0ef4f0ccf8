namespace Baton.Storage;

/// <summary>
/// The state database's schema, as numbered steps. <c>PRAGMA user_version</c> records the last step applied.
/// Steps are append-only: a released step is never edited, a change is a new step.
/// </summary>
public static class Migrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "projects and the local tracker", """
            -- One row per project of any baton.yaml this BATON_HOME has seen, so that an agent inside a worktree
            -- (no baton.yaml above it, only BATON_PROJECT) still knows the project's prefix and states.
            CREATE TABLE projects (
                instance_id      TEXT PRIMARY KEY,              -- {config hash}-{project id}
                project_id       TEXT NOT NULL,
                name             TEXT NOT NULL,
                path             TEXT NOT NULL,
                session_prefix   TEXT NOT NULL,
                states           TEXT NOT NULL,                 -- JSON {active, handoff, terminal, inactive}
                config_path      TEXT NOT NULL,
                next_task_number INTEGER NOT NULL DEFAULT 1 CHECK (next_task_number >= 1),
                updated_at       TEXT NOT NULL
            );
            CREATE INDEX projects_by_prefix ON projects (session_prefix);

            CREATE TABLE tasks (
                id          TEXT PRIMARY KEY,                   -- stable random 16 hex, survives export/import
                project     TEXT NOT NULL REFERENCES projects (instance_id) ON DELETE CASCADE,
                number      INTEGER NOT NULL,
                identifier  TEXT NOT NULL,                      -- PREFIX-number, upper case
                title       TEXT NOT NULL,
                description TEXT,
                priority    INTEGER CHECK (priority BETWEEN 1 AND 4),
                state       TEXT NOT NULL,                      -- in the project's spelling
                branch_name TEXT,
                url         TEXT,
                assignee    TEXT,
                labels      TEXT NOT NULL DEFAULT '[]',         -- JSON array of lower-case labels
                created_at  TEXT NOT NULL,                      -- UTC, fixed-width ISO 8601: sorts as text
                updated_at  TEXT NOT NULL,
                UNIQUE (project, identifier)
            );
            CREATE INDEX tasks_by_identifier ON tasks (identifier);
            CREATE INDEX tasks_by_project_number ON tasks (project, number);

            CREATE TABLE task_blockers (
                task_id    TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                blocker_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                PRIMARY KEY (task_id, blocker_id)
            ) WITHOUT ROWID;
            CREATE INDEX task_blockers_by_blocker ON task_blockers (blocker_id);

            CREATE TABLE task_comments (
                id         TEXT PRIMARY KEY,
                task_id    TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                author     TEXT NOT NULL,
                body       TEXT NOT NULL,
                created_at TEXT NOT NULL
            );
            CREATE INDEX task_comments_by_task ON task_comments (task_id, created_at);
            """),
        new(2, "sessions", """
            -- A session is one agent on one task in one workspace, named {prefix}-{n} per project. Its live state is
            -- the worker's status.json; this table allocates names and keeps what outlives the worker.
            ALTER TABLE projects ADD COLUMN next_session_number INTEGER NOT NULL DEFAULT 1;

            CREATE TABLE sessions (
                project         TEXT NOT NULL REFERENCES projects (instance_id) ON DELETE CASCADE,
                number          INTEGER NOT NULL,
                name            TEXT NOT NULL,                  -- {prefix}-{n}, what people type
                runtime_name    TEXT NOT NULL,                  -- {config hash}-{prefix}-{n}: the tmux session
                runtime         TEXT NOT NULL,                  -- tmux | process
                agent           TEXT NOT NULL,                  -- pi | claude | codex | command
                model           TEXT,
                task_id         TEXT,
                task_identifier TEXT,
                workspace       TEXT NOT NULL,
                branch          TEXT,
                directory       TEXT NOT NULL,                  -- sessions/{name}: events, status, socket
                purpose         TEXT,
                created_at      TEXT NOT NULL,
                archived_at     TEXT,                           -- set by 'baton remove'; the row stays for history
                PRIMARY KEY (project, number),
                UNIQUE (project, name)
            );
            CREATE INDEX sessions_by_name ON sessions (name);
            CREATE INDEX sessions_by_task ON sessions (task_id);
            """),
        new(3, "messages", """
            -- Mail between sessions and people, and hand-off notes (a session's message to its task's next run). A
            -- project:<id> address is stored as one row per live session it reached, with the address in 'via'.
            CREATE TABLE messages (
                id                INTEGER PRIMARY KEY AUTOINCREMENT, -- what 'baton mail read <id>' takes
                kind              TEXT NOT NULL DEFAULT 'message',   -- message | handoff
                sender            TEXT NOT NULL,                     -- a session name, human or orchestrator
                sender_project    TEXT,                              -- the sending session's project (instance id)
                recipient         TEXT NOT NULL,                     -- a session name, human or orchestrator
                recipient_project TEXT,                              -- the recipient session's project; for orchestrator, whose
                task_id           TEXT,                              -- the recipient session's task: its next session gets it
                via               TEXT,                              -- the address as written when it named several (project:app)
                subject           TEXT NOT NULL,
                body              TEXT NOT NULL,                     -- as given, control characters included (at most 64 KiB)
                urgent            INTEGER NOT NULL DEFAULT 0,
                created_at        TEXT NOT NULL,
                delivered_at      TEXT,                              -- into an agent, into a new run's prompt, or logged
                delivered_to      TEXT,                              -- the session that received it (the recipient or a later one of its task)
                delivery          TEXT,                              -- steer | follow_up | prompt | log
                read_at           TEXT                               -- 'baton mail read', or the delivery into an agent
            );
            CREATE INDEX messages_by_recipient ON messages (recipient, id);
            CREATE INDEX messages_by_delivered_to ON messages (delivered_to, id);
            CREATE INDEX messages_pending_by_task ON messages (task_id) WHERE delivered_at IS NULL;
            """),
    ];

    public static long Latest => All[^1].Version;
}

public sealed record Migration(long Version, string Name, string Sql);
