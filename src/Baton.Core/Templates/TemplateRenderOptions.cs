namespace Baton.Core.Templates;

/// <summary>
/// Bounds on one render, so that a template (or an issue with a huge body) cannot hang or exhaust the orchestrator.
/// Exceeding a bound is a <c>template_render_error</c>, never a truncated prompt.
/// </summary>
public sealed record TemplateRenderOptions
{
    public static TemplateRenderOptions Default { get; } = new();

    /// <summary>Maximum length, in UTF-16 characters, of the output and of any string built while rendering.</summary>
    public int MaxOutputLength { get; init; } = 1_000_000;

    /// <summary>
    /// Maximum number of <c>for</c> iterations over the whole render, and maximum size of any collection the
    /// template builds (ranges turned into arrays, <c>concat</c>, <c>split</c>).
    /// </summary>
    public int MaxIterations { get; init; } = 100_000;

    /// <summary>Source of "now" for the <c>date</c> filter (<c>"now"</c> and <c>"today"</c>), in UTC.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
