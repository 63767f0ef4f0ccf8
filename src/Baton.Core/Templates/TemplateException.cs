using Baton.Core.Errors;
using Baton.Core.Workflows;

namespace Baton.Core.Templates;

/// <summary>
/// A template that does not parse (<see cref="WorkflowErrorCodes.TemplateParseError"/>) or does not render
/// (<see cref="WorkflowErrorCodes.TemplateRenderError"/>). <see cref="Line"/> and <see cref="Column"/> are 1-based and
/// already included in the message as <c>source:line:column:</c>.
/// </summary>
public sealed class TemplateException : BatonException
{
    public TemplateException(string code, string sourceName, int line, int column, string detail, string suggestion)
        : base(code, $"{sourceName}:{line}:{column}: {detail}", suggestion)
    {
        SourceName = sourceName;
        Line = line;
        Column = column;
        Detail = detail;
    }

    public string SourceName { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The message without the position prefix.</summary>
    public string Detail { get; }
}
