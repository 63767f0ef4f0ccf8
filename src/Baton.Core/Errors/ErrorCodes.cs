namespace Baton.Core.Errors;

/// <summary>Every error code Baton reports, in one place so the README's table and the code agree.</summary>
public static class ErrorCodes
{
    public const string BadUsage = "bad_usage";
    public const string Internal = "internal_error";

    public const string ConfigNotFound = "config_not_found";
    public const string ConfigParseError = "config_parse_error";
    public const string ConfigInvalid = "config_invalid";
    public const string ConfigExists = "config_exists";
    public const string ConfigWriteFailed = "config_write_failed";

    public const string ProjectPathNotFound = "project_path_not_found";
    public const string ProjectNotGitRepository = "project_not_git_repository";
    public const string ProjectDuplicate = "project_duplicate";
    public const string ProjectNotFound = "project_not_found";
    public const string ProjectAmbiguous = "project_ambiguous";
    public const string SessionPrefixConflict = "session_prefix_conflict";
    public const string SessionPrefixInvalid = "session_prefix_invalid";
    public const string BranchNotFound = "branch_not_found";

    public const string TaskNotFound = "task_not_found";
    public const string InvalidTaskId = "invalid_task_id";
    public const string InvalidPriority = "invalid_priority";
    public const string BlockedByCycle = "blocked_by_cycle";
    public const string UnknownState = "unknown_state";
    public const string InvalidTaskField = "invalid_task_field";
    public const string ImportInvalid = "import_invalid";

    public const string StateStoreReadOnly = "state_store_read_only";
    public const string StateStoreFull = "state_store_full";
    public const string StateStoreBusy = "state_store_busy";
    public const string StateStoreUnavailable = "state_store_unavailable";
    public const string StateStoreCorrupt = "state_store_corrupt";
    public const string StateStoreTooNew = "state_store_too_new";

    public const string InvalidWorkspaceKey = "invalid_workspace_key";
    public const string WorkspaceNotFound = "workspace_not_found";
    public const string WorkspaceNotAWorktree = "workspace_not_a_worktree";
    public const string WorkspaceIsMainWorktree = "workspace_is_main_worktree";
    public const string RepositoryHasNoCommits = "repository_has_no_commits";
    public const string GitFailed = "git_failed";

    public const string DoctorFixFailed = "doctor_fix_failed";
    public const string ToolMissing = "tool_missing";

    public const string ReplayScriptNotFound = "replay_script_not_found";
    public const string ReplayScriptInvalid = "replay_script_invalid";
    public const string PortInUse = "port_in_use";

    public const string ProofNotFound = "proof_not_found";
    public const string ProofNotWritable = "proof_not_writable";
    public const string ProofUnreadable = "proof_unreadable";
    public const string ProofOpenFailed = "proof_open_failed";

    // The HTTP API (Symphony SPEC.md §13.7.2 names the envelope, issue_not_found and 405; the reference
    // implementation names not_found, method_not_allowed, orchestrator_unavailable and the snapshot codes).
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string IssueNotFound = "issue_not_found";
    public const string SessionNotFound = "session_not_found";
    public const string SessionNotBlocked = "session_not_blocked";
    public const string BodyInvalid = "body_invalid";
    public const string OrchestratorUnavailable = "orchestrator_unavailable";
    public const string SnapshotTimeout = "snapshot_timeout";
    public const string SnapshotUnavailable = "snapshot_unavailable";
    public const string Unauthorized = "unauthorized";
    public const string HostNotAllowed = "host_not_allowed";
    public const string OriginNotAllowed = "origin_not_allowed";
    public const string ServerTokenRequired = "server_token_required";
    public const string ServerTokenInvalid = "server_token_invalid";
    public const string ServerHostInvalid = "server_host_invalid";

    // Reading a session's transcript and its proof, answering it (Baton's routes).
    public const string InvalidRequest = "invalid_request";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string RequestTooLarge = "request_too_large";

    // Messages and hand-offs (baton mail, baton handoff).
    public const string InvalidAddress = "invalid_address";
    public const string UnknownAddress = "unknown_address";
    public const string NoLiveSessions = "no_live_sessions";
    public const string MessageTooLarge = "message_too_large";
    public const string MessageSubjectMissing = "message_subject_missing";
    public const string MessageSubjectInvalid = "message_subject_invalid";
    public const string MessageBodyMissing = "message_body_missing";
    public const string MessageNotFound = "message_not_found";
    public const string InvalidSender = "invalid_sender";
    public const string HandoffOutsideSession = "handoff_outside_session";
    public const string HandoffNoteMissing = "handoff_note_missing";
    public const string HandoffThresholdInvalid = "handoff_threshold_invalid";
}
