using System.Globalization;
using Baton.Core.Workflows;

namespace Baton.Core.Templates;

/// <summary>
/// The state of one render: inputs, assigned variables (global, as in Liquid), loop scopes, and the work done so far.
/// Lookups go loop scopes (innermost first), then assigns, then inputs.
/// </summary>
internal sealed class RenderContext(
    IReadOnlyDictionary<string, object?> inputs,
    TemplateRenderOptions options,
    string sourceName,
    SourceMap map)
{
    private readonly List<Dictionary<string, object?>> _scopes = [];
    private long _iterations;

    public TemplateRenderOptions Options { get; } = options;

    public Dictionary<string, object?> Assigns { get; } = new(StringComparer.Ordinal);

    public bool TryResolve(string name, out object? value)
    {
        for (var i = _scopes.Count - 1; i >= 0; i--)
        {
            if (_scopes[i].TryGetValue(name, out value))
            {
                return true;
            }
        }

        if (Assigns.TryGetValue(name, out value))
        {
            return true;
        }

        if (inputs.TryGetValue(name, out value))
        {
            value = LiquidValues.Normalize(value);
            return true;
        }

        return false;
    }

    public void PushScope(Dictionary<string, object?> scope) => _scopes.Add(scope);

    public void PopScope() => _scopes.RemoveAt(_scopes.Count - 1);

    public void CountIteration()
    {
        if (++_iterations > Options.MaxIterations)
        {
            throw new LiquidRuntimeException(
                $"the template ran more than {Options.MaxIterations.ToString(CultureInfo.InvariantCulture)} loop iterations (the iteration limit)");
        }
    }

    public string DescribeDefinedNames()
    {
        var names = _scopes.SelectMany(s => s.Keys).Concat(Assigns.Keys).Concat(inputs.Keys)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return names.Count == 0
            ? "No variables are defined."
            : $"Defined variables: {string.Join(", ", names)}. Use {{% if x %}} only on defined names; 'attempt' is nil on a first run.";
    }

    public TemplateException Error(int offset, string message, string? suggestion)
    {
        var (line, column) = map.At(offset);
        return new TemplateException(
            WorkflowErrorCodes.TemplateRenderError,
            sourceName,
            line,
            column,
            message,
            suggestion ?? $"Fix the template in {sourceName} at line {line.ToString(CultureInfo.InvariantCulture)}.");
    }
}
