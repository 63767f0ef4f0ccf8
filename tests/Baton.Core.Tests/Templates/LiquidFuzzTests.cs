using System.Text;
using Baton.Core.Templates;

namespace Baton.Core.Tests.Templates;

/// <summary>
/// Random templates and inputs (seeded, bounded): parsing and rendering either succeed or fail with a
/// <see cref="TemplateException"/>, never with anything else and never by hanging.
/// </summary>
public class LiquidFuzzTests
{
    private static readonly string[] s_fragments =
    [
        "text ", "\n", "  ", "{{", "}}", "{%", "%}", "{{-", "-}}", "{%-", "-%}", "|", ":", ",", "'", "\"", "(", ")", "..", ".", "[", "]",
        "{{ issue.title }}", "{{ issue.labels[0] }}", "{{ issue.nope }}", "{{ attempt }}", "{{ attempt.x }}", "{{ v }}", "{{ v.a }}",
        "{{ v[0] }}", "{{ v.size }}", "{{ v.first }}", "{% if v %}", "{% if v == 1 or v contains 'a' and v > 2 %}", "{% elsif v %}",
        "{% else %}", "{% endif %}", "{% unless v %}", "{% endunless %}", "{% case v %}", "{% when 1, 'a' %}", "{% endcase %}",
        "{% for x in v %}", "{% for x in (1..v) limit: 3 reversed %}", "{% for x in issue.labels offset: v %}", "{{ forloop.index }}",
        "{{ x }}", "{% break %}", "{% continue %}", "{% endfor %}", "{% assign a = v %}", "{{ a }}", "{% capture c %}",
        "{% endcapture %}", "{% comment %}", "{% endcomment %}", "{% raw %}", "{% endraw %}", "{% # note %}", "{% liquid echo v %}",
        "{% echo v %}", "{% nope %}", "(1..5)", "nil", "empty", "blank", "true", "-3", "2.5", "==", "<", "contains",
    ];

    private static readonly string[] s_arguments = ["v", "1", "-2", "0", "2.5", "'a'", "''", "' '", "nil", "true", "(1..3)", "issue.labels", "'%Y %b %-d'"];

    [Fact]
    public void ParseAndRender_RandomTemplatesAndInputs_OnlyThrowTemplateException()
    {
        var random = new Random(20260314);
        var options = TemplateTestData.Options(maxOutput: 20_000, maxIterations: 2_000);
        var rendered = 0;
        for (var i = 0; i < 3_000; i++)
        {
            var source = i % 3 == 0 ? RandomChars(random) : RandomTemplate(random);
            LiquidTemplate template;
            try
            {
                template = LiquidTemplate.Parse(source);
            }
            catch (TemplateException e)
            {
                e.Code.ShouldBe("template_parse_error", source);
                e.Line.ShouldBeGreaterThanOrEqualTo(1);
                continue;
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"Parse threw {e.GetType().Name} for template:\n{source}\n{e}");
            }

            for (var j = 0; j < 3; j++)
            {
                var inputs = new Dictionary<string, object?>
                {
                    ["issue"] = PromptBuilder.IssueInput(TemplateTestData.Task()),
                    ["attempt"] = random.Next(3) == 0 ? null : random.Next(1, 5),
                    ["v"] = RandomValue(random, 0),
                };
                try
                {
                    template.Render(inputs, options);
                    rendered++;
                }
                catch (TemplateException e)
                {
                    e.Code.ShouldBe("template_render_error", source);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"Render threw {e.GetType().Name} for template:\n{source}\nv = {Show(inputs["v"])}\n{e}");
                }
            }
        }

        rendered.ShouldBeGreaterThan(500);
    }

    private static string RandomTemplate(Random random)
    {
        var builder = new StringBuilder();
        var count = random.Next(1, 14);
        for (var i = 0; i < count; i++)
        {
            if (random.Next(3) == 0)
            {
                // An output with a random filter chain, so every filter meets odd inputs and arguments.
                builder.Append("{{ ").Append(s_arguments[random.Next(s_arguments.Length)]);
                for (var f = random.Next(0, 4); f > 0; f--)
                {
                    var filter = LiquidTemplate.SupportedFilters[random.Next(LiquidTemplate.SupportedFilters.Count)];
                    builder.Append(" | ").Append(filter);
                    var arguments = random.Next(0, 3);
                    for (var a = 0; a < arguments; a++)
                    {
                        builder.Append(a == 0 ? ": " : ", ").Append(s_arguments[random.Next(s_arguments.Length)]);
                    }
                }

                builder.Append(" }}");
            }
            else
            {
                builder.Append(s_fragments[random.Next(s_fragments.Length)]);
            }
        }

        return builder.ToString();
    }

    private static string RandomChars(Random random)
    {
        const string alphabet = "{}%-|:.,'\"()[]<>=! \n\tabcxyz019_#";
        var chars = new char[random.Next(0, 40)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = random.Next(20) == 0 ? (char)random.Next(0, 0xFFFF) : alphabet[random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    private static object? RandomValue(Random random, int depth) => random.Next(depth > 2 ? 8 : 11) switch
    {
        0 => null,
        1 => random.Next(-5, 6),
        2 => random.NextDouble() * 10 - 5,
        3 => new string('a', random.Next(0, 4)) + " x",
        4 => random.Next(2) == 0,
        5 => long.MaxValue - random.Next(2),
        6 => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddHours(random.Next(10_000)),
        7 => string.Empty,
        8 or 9 => Enumerable.Range(0, random.Next(0, 4)).Select(_ => RandomValue(random, depth + 1)).ToList(),
        _ => Enumerable.Range(0, random.Next(0, 3)).ToDictionary(k => k == 0 ? "a" : "k" + k, _ => RandomValue(random, depth + 1)),
    };

    private static string Show(object? value) => value switch
    {
        null => "nil",
        string s => $"\"{s}\"",
        IDictionary<string, object?> map => "{" + string.Join(", ", map.Select(p => $"{p.Key}: {Show(p.Value)}")) + "}",
        System.Collections.IEnumerable list => "[" + string.Join(", ", list.Cast<object?>().Select(Show)) + "]",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "?",
    };
}
