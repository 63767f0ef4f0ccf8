using System.Text.Json;
using Baton.Core.Errors;
using Baton.Core.Workspaces;
using Baton.Git;

namespace Baton.Workspaces;

/// <summary>Removal is blocked because work would be lost; carries the report so the CLI can show every finding.</summary>
public sealed class SafetyCheckException(SafetyReport report, bool deleteBranch, string message, string suggestion)
    : BatonException(SafetyCheckFailedCode, message, suggestion, ExitCodes.BlockedBySafetyCheck)
{
    public const string SafetyCheckFailedCode = "safety_check_failed";

    public SafetyReport Report { get; } = report;

    public bool DeleteBranch { get; } = deleteBranch;
}

/// <summary>What to remove and how far a person has agreed to go.</summary>
public sealed record RemovalRequest
{
    public required WorkspaceLayout Layout { get; init; }

    public required WorkspaceTask Task { get; init; }

    public bool DeleteBranch { get; init; }

    /// <summary>Remove even when the safety analysis finds work that would be lost (after <see cref="Confirm"/>).</summary>
    public bool Force { get; init; }

    /// <summary>Asked before a forced removal that loses something; returns how it was confirmed (e.g. "interactive", "--yes"), or null to cancel.</summary>
    public Func<SafetyReport, string?>? Confirm { get; init; }

    /// <summary>Where the audit log lives.</summary>
    public required string BatonHome { get; init; }

    public string User { get; init; } = "unknown";
}

public sealed record RemovalResult(string Path, string? Branch, SafetyReport? Report, bool Forced, bool BranchDeleted, bool WasPrunable, HookResult? BeforeRemove);

/// <summary>
/// Removes a workspace only when the git safety analysis proves nothing is lost (or a person forced it, which is
/// confirmed and audited). <c>before_remove</c> runs first and its failure never stops the removal (Symphony §9.4).
/// </summary>
public sealed class WorkspaceRemover(IGitSafetyAnalyzer analyzer, TimeProvider time)
{
    public const string NotFound = "workspace_not_found";
    public const string Cancelled = "removal_cancelled";

    public async Task<RemovalResult> RemoveAsync(RemovalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var layout = request.Layout;
        var path = PathSafety.EnsureInside(layout.Root, WorkspaceManager.PathFor(layout, request.Task));
        return layout.Strategy == WorkspaceLayout.Worktree
            ? await RemoveWorktreeAsync(request, path, cancellationToken).ConfigureAwait(false)
            : await RemoveDirectoryAsync(request, path, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RemovalResult> RemoveWorktreeAsync(RemovalRequest request, string path, CancellationToken cancellationToken)
    {
        var layout = request.Layout;
        var repository = layout.RepositoryPath!;
        var entry = (await WorktreeList.ReadAsync(repository, cancellationToken).ConfigureAwait(false))
            .FirstOrDefault(w => string.Equals(w.Path.TrimEnd('/'), path, StringComparison.Ordinal));
        var exists = Directory.Exists(path) || File.Exists(path);
        if (entry is null && !exists)
        {
            throw new BatonException(NotFound, $"{request.Task.Identifier} has no workspace ({path} does not exist)", "See 'baton workspace list' for the workspaces there are.");
        }

        var report = await analyzer.AnalyzeAsync(repository, path, entry?.Branch ?? WorkspaceManager.BranchFor(request.Task), layout.DefaultBranch ?? "HEAD", cancellationToken).ConfigureAwait(false);
        var forced = Gate(request, report, path);

        HookResult? hook = null;
        if (Directory.Exists(path))
        {
            hook = await RunBeforeRemoveAsync(request, path, report.Branch, cancellationToken).ConfigureAwait(false);

            // A lock is a person's "keep this": only a forced removal gets past it, and then with git's double force.
            string[] remove = entry?.IsLocked == true ? ["worktree", "remove", "--force", "--force", path] : ["worktree", "remove", "--force", path];
            var removed = await GitCli.RunAsync(repository, remove, cancellationToken).ConfigureAwait(false);
            if (!removed.Succeeded)
            {
                throw new BatonException("workspace_remove_failed", $"git worktree remove failed: {removed.StandardError.Trim()}", $"Inspect it with 'git -C {repository} worktree list'; nothing was deleted by Baton.");
            }
        }
        else
        {
            // The directory was deleted by hand: only git's record is left.
            await GitCli.RunAsync(repository, ["worktree", "prune"], cancellationToken).ConfigureAwait(false);
        }

        var branchDeleted = false;
        if (request.DeleteBranch && report.Branch is { } branch && !report.IsDetached)
        {
            var deleted = await GitCli.RunAsync(repository, ["branch", "-D", branch], cancellationToken).ConfigureAwait(false);
            branchDeleted = deleted.Succeeded;
        }

        return new RemovalResult(path, report.Branch, report, forced, branchDeleted, !exists, hook);
    }

    private async Task<RemovalResult> RemoveDirectoryAsync(RemovalRequest request, string path, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(path))
        {
            throw new BatonException(NotFound, $"{request.Task.Identifier} has no workspace ({path} does not exist)", "See 'baton workspace list' for the workspaces there are.");
        }

        // A directory workspace is not a worktree Baton can analyze: nothing in it is provably safe unless it is empty.
        var entries = Directory.EnumerateFileSystemEntries(path).Select(System.IO.Path.GetFileName).OfType<string>().ToList();
        var findings = entries.Count == 0
            ? (IReadOnlyList<SafetyFinding>)[]
            : [new SafetyFinding(
                SafetyFindingKinds.UnverifiableDirectory,
                FindingSeverity.Blocking,
                FindingScope.Workspace,
                entries.Count,
                [.. entries.Take(SafetyFinding.MaxItems)],
                $"{path} is a directory workspace with {entries.Count} entries; Baton cannot prove they are saved elsewhere",
                $"ls -la {ShellQuote.Quote(path)}")];
        var report = new SafetyReport(path, path, null, null, false, findings);
        var forced = Gate(request, report, path);
        var hook = await RunBeforeRemoveAsync(request, path, null, cancellationToken).ConfigureAwait(false);
        Directory.Delete(path, recursive: true);
        return new RemovalResult(path, null, report, forced, false, false, hook);
    }

    /// <summary>Blocks, or (forced) confirms and audits. Returns whether the removal is a forced one.</summary>
    private bool Gate(RemovalRequest request, SafetyReport report, string path)
    {
        var blocking = report.BlockingFindings(request.DeleteBranch);
        if (blocking.Count == 0)
        {
            return false;
        }

        if (!request.Force)
        {
            throw new SafetyCheckException(
                report,
                request.DeleteBranch,
                $"removing {path}{(request.DeleteBranch ? " and its branch" : string.Empty)} would lose work: {string.Join("; ", blocking.Select(f => f.Message.TrimEnd('.')))}",
                $"Resolve each finding (e.g. {blocking[0].Resolution}), or remove anyway with --force (asks for confirmation; --yes skips it) — that is recorded in {AuditLog.PathIn(request.BatonHome)}.");
        }

        var confirmation = request.Confirm?.Invoke(report);
        if (confirmation is null)
        {
            throw new BatonException(Cancelled, $"the forced removal of {path} was not confirmed; nothing was removed", "Pass --yes to confirm without a prompt.");
        }

        AuditLog.Append(request.BatonHome, writer =>
        {
            writer.WriteString("time", time.GetUtcNow());
            writer.WriteString("action", request.DeleteBranch ? "workspace_remove_forced_with_branch" : "workspace_remove_forced");
            writer.WriteString("user", request.User);
            writer.WriteString("task", request.Task.Identifier);
            writer.WriteString("workspace", path);
            writer.WriteString("confirmed", confirmation);
            writer.WritePropertyName("report");
            JsonSerializer.Serialize(writer, SafetyReportView.From(report, request.DeleteBranch), SafetyReportJsonContext.Default.SafetyReportView);
        });
        return true;
    }

    private static async Task<HookResult?> RunBeforeRemoveAsync(RemovalRequest request, string path, string? branch, CancellationToken cancellationToken)
    {
        if (request.Layout.Hooks.BeforeRemove is not { } script || script.Trim().Length == 0)
        {
            return null;
        }

        var workspace = new Workspace(path, System.IO.Path.GetFileName(path), request.Layout.Strategy, branch, false);
        return await HookRunner.RunAsync(HookNames.BeforeRemove, script, path, WorkspaceManager.HookEnvironment(request.Layout, request.Task, workspace), TimeSpan.FromMilliseconds(request.Layout.Hooks.TimeoutMs), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The one JSON shape of a safety report: CLI output and the audit log.</summary>
public sealed record SafetyReportView(
    string RepositoryPath,
    string WorkspacePath,
    string? Branch,
    string? HeadCommit,
    bool Detached,
    bool SafeToRemove,
    bool SafeToRemoveWithBranch,
    IReadOnlyList<SafetyFindingView> Findings)
{
    public static SafetyReportView From(SafetyReport report, bool deleteBranch)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new(
            report.RepositoryPath,
            report.WorkspacePath,
            report.Branch,
            report.HeadCommit,
            report.IsDetached,
            report.IsSafeToRemove(deleteBranch: false),
            report.IsSafeToRemove(deleteBranch: true),
            report.Findings.Select(f => new SafetyFindingView(
                f.Kind,
                f.Severity == FindingSeverity.Blocking ? "blocking" : "info",
                f.Scope == FindingScope.Workspace ? "workspace" : "branch",
                f.Blocks(deleteBranch),
                f.Count,
                f.Items,
                f.ItemsTruncated,
                f.Message,
                f.Resolution)).ToList());
    }
}

public sealed record SafetyFindingView(string Kind, string Severity, string Scope, bool Blocks, int Count, IReadOnlyList<string> Items, bool ItemsTruncated, string Message, string Resolution);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(SafetyReportView))]
internal sealed partial class SafetyReportJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
