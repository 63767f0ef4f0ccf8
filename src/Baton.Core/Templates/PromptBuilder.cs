using System.Globalization;
using Baton.Core.Tasks;

namespace Baton.Core.Templates;

/// <summary>
/// Turns a workflow's prompt body and a task into the text sent to the agent (Symphony §5.4, §12): the template
/// inputs <c>issue</c> and <c>attempt</c>, the default prompt for an empty body, and the continuation guidance sent
/// instead of the prompt on later turns of the same run (§7.1, §10.2).
/// </summary>
public static class PromptBuilder
{
    /// <summary>
    /// The prompt used when a workflow's body is empty (spec §5.4 allows a minimal default; like the reference
    /// implementation it includes the identifier, title and description).
    /// </summary>
    public const string DefaultPromptTemplate =
        """
        You are working on an issue from the configured tracker.

        Identifier: {{ issue.identifier }}
        Title: {{ issue.title }}

        Description:
        {% if issue.description and issue.description != blank %}{{ issue.description }}{% else %}No description provided.{% endif %}
        """;

    public static LiquidTemplate DefaultTemplate { get; } = LiquidTemplate.Parse(DefaultPromptTemplate, "default prompt");

    /// <summary>
    /// Parses a workflow's prompt body; a blank body gives <see cref="DefaultTemplate"/>. A body that does not parse is
    /// an error, never a silent fallback to the default (§5.4).
    /// </summary>
    /// <exception cref="TemplateException">With code <c>template_parse_error</c>.</exception>
    public static LiquidTemplate ParsePrompt(string body, string sourceName = "WORKFLOW.md", int firstLine = 1)
    {
        ArgumentNullException.ThrowIfNull(body);
        return string.IsNullOrWhiteSpace(body) ? DefaultTemplate : LiquidTemplate.Parse(body, sourceName, firstLine);
    }

    /// <summary>
    /// The <c>issue</c> input for a task: Symphony's normalized issue fields with snake_case string keys, nested lists and
    /// maps kept (so templates can loop over <c>labels</c> and <c>blocked_by</c>), and dates as ISO-8601 UTC strings.
    /// Baton also passes <c>project</c> and <c>comments</c>. Keys in <paramref name="extra"/> are added, and win on a
    /// clash.
    /// </summary>
    public static IReadOnlyDictionary<string, object?> IssueInput(TaskRecord task, IReadOnlyDictionary<string, object?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        var issue = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["id"] = task.Id,
            ["identifier"] = task.Identifier,
            ["title"] = task.Title,
            ["description"] = task.Description,
            ["priority"] = task.Priority,
            ["state"] = task.State,
            ["branch_name"] = task.BranchName,
            ["url"] = task.Url,
            ["assignee"] = task.Assignee,
            ["labels"] = task.Labels.ToList(),
            ["blocked_by"] = task.BlockedBy
                .Select(b => (object?)new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["id"] = b.Id,
                    ["identifier"] = b.Identifier,
                    ["state"] = b.State,
                })
                .ToList(),
            ["created_at"] = Iso(task.CreatedAt),
            ["updated_at"] = Iso(task.UpdatedAt),
            ["project"] = task.Project,
            ["comments"] = task.Comments
                .Select(c => (object?)new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["id"] = c.Id,
                    ["author"] = c.Author,
                    ["body"] = c.Body,
                    ["created_at"] = Iso(c.CreatedAt),
                })
                .ToList(),
        };

        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                issue[key] = value;
            }
        }

        return issue;
    }

    /// <summary>
    /// The template inputs: <c>issue</c>, and <c>attempt</c>, which is always defined: nil on the first run, a 1-based
    /// integer on a retry or continuation (§12.3).
    /// </summary>
    public static IReadOnlyDictionary<string, object?> Inputs(IReadOnlyDictionary<string, object?> issue, int? attempt)
    {
        ArgumentNullException.ThrowIfNull(issue);
        if (attempt is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(attempt), attempt, "attempt is null on a first run and 1-based afterwards.");
        }

        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["issue"] = issue,
            ["attempt"] = attempt,
        };
    }

    /// <summary>Renders the first-turn prompt for <paramref name="task"/>.</summary>
    /// <exception cref="TemplateException">With code <c>template_render_error</c>: the attempt fails (§12.4).</exception>
    public static string Render(LiquidTemplate template, TaskRecord task, int? attempt, TemplateRenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        return template.Render(Inputs(IssueInput(task), attempt), options);
    }

    /// <summary>
    /// What a continuation turn sends instead of the prompt (§1.12: the thread already holds the original
    /// instructions). <paramref name="turnNumber"/> is this turn's number within the run (the first continuation is 2).
    /// </summary>
    public static string ContinuationGuidance(int turnNumber, int maxTurns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(turnNumber, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTurns, turnNumber);
        var turn = turnNumber.ToString(CultureInfo.InvariantCulture);
        var max = maxTurns.ToString(CultureInfo.InvariantCulture);
        return $"""
            Continuation guidance:

            - Your previous turn ended normally, but the issue is still in an active state.
            - This is continuation turn #{turn} of {max} for this agent run.
            - Pick up from the current state of the workspace; do not start over.
            - The original instructions and your earlier turns are already in this conversation; act on them instead of restating them.
            - Work on what remains, and end the turn only when the work is done or you are truly blocked.
            """;
    }

    /// <summary>
    /// What a fresh run is told after a person answered the question an earlier run stopped on: the question and the
    /// answer, appended to the task's prompt (the earlier agent's conversation is gone; its work is in the workspace).
    /// </summary>
    public static string AnswerGuidance(string? question, string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var asked = string.IsNullOrWhiteSpace(question) ? "(the question was not recorded)" : question.Trim();
        return $"""
            A person answered the question an earlier run of this task stopped on.

            - The earlier run asked: {asked}
            - The answer: {answer.Trim()}
            - The earlier run's changes are in this workspace; continue from them with this answer instead of starting over.
            """;
    }

    private static string Iso(DateTimeOffset value) => LiquidValues.FormatIso(value.ToUniversalTime());
}
