using Baton.Core.Tasks;
using Baton.Core.Templates;

namespace Baton.Core.Tests.Templates;

/// <summary>Shared inputs and a render helper for the template tests.</summary>
internal static class TemplateTestData
{
    public static readonly DateTimeOffset Now = new(2026, 3, 14, 15, 9, 26, TimeSpan.Zero);

    public static TaskRecord Task() => new()
    {
        Id = "t-42",
        Identifier = "APP-42",
        Project = "h-app",
        Title = "Fix login redirect",
        Description = "Users land on /home after login.\nThey should land where they started.",
        Priority = 2,
        State = "Todo",
        BranchName = "app-42-fix-login-redirect",
        Url = "https://tracker.example/APP-42",
        Assignee = null,
        Labels = ["bug", "auth"],
        BlockedBy = [new("t-40", "APP-40", "Done"), new("t-41", "APP-41", "In Progress")],
        CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        UpdatedAt = new DateTimeOffset(2026, 1, 3, 10, 0, 0, TimeSpan.FromHours(2)),
        Comments = [new("c1", "ana", "Repro: log in from /settings.", new DateTimeOffset(2026, 1, 2, 9, 0, 0, TimeSpan.Zero))],
    };

    public static Dictionary<string, object?> Inputs(int? attempt = null) => new(StringComparer.Ordinal)
    {
        ["issue"] = PromptBuilder.IssueInput(Task()),
        ["attempt"] = attempt,
        ["nums"] = new List<object?> { 3, 1, 2 },
        ["floats"] = new[] { 1.5, 0.25 },
        ["words"] = new[] { "banana", "Apple", "cherry", "apple" },
        ["people"] = new List<object?>
        {
            new Dictionary<string, object?> { ["name"] = "bo", ["age"] = 30, ["admin"] = true },
            new Dictionary<string, object?> { ["name"] = "Al", ["age"] = 25, ["admin"] = false },
            new Dictionary<string, object?> { ["name"] = "cy", ["age"] = null },
        },
        ["empty_list"] = Array.Empty<string>(),
        ["empty_map"] = new Dictionary<string, object?>(),
        ["nested"] = new List<object?> { new List<object?> { 1, 2 }, new List<object?> { 3 } },
        ["with_nil"] = new List<object?> { "a", null, "b" },
        ["blank_text"] = "  ",
        ["zero"] = 0,
        ["big"] = 10_000_000_000L,
        ["price"] = 4.5m,
        ["flag"] = false,
        ["when"] = Now,
        ["html"] = "<p class=\"x\">Fish & 'chips'</p>",
    };

    public static TemplateRenderOptions Options(int maxOutput = 100_000, int maxIterations = 10_000) => new()
    {
        MaxOutputLength = maxOutput,
        MaxIterations = maxIterations,
        TimeProvider = new FixedTimeProvider(Now),
    };

    public static string Render(string template, IReadOnlyDictionary<string, object?>? inputs = null, TemplateRenderOptions? options = null) =>
        LiquidTemplate.Parse(template).Render(inputs ?? Inputs(), options ?? Options());

    public static TemplateException RenderError(string template, IReadOnlyDictionary<string, object?>? inputs = null, TemplateRenderOptions? options = null) =>
        Should.Throw<TemplateException>(() => Render(template, inputs, options));

    public static TemplateException ParseError(string template) =>
        Should.Throw<TemplateException>(() => LiquidTemplate.Parse(template));

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
