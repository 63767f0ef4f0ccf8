using Baton.Core.Errors;
using Baton.Core.Templates;
using Baton.Core.Workflows;

namespace Baton.Core.Tests.Templates;

public class LiquidStrictnessTests
{
    [Fact]
    public void Render_UnknownVariable_ErrorNamesItAndItsPosition()
    {
        var error = TemplateTestData.RenderError("Line one\n  {{ nope }}");

        error.Code.ShouldBe(WorkflowErrorCodes.TemplateRenderError);
        error.ShouldBeAssignableTo<BatonException>();
        (error.Line, error.Column).ShouldBe((2, 6));
        error.Message.ShouldBe("template:2:6: undefined variable 'nope'");
        error.Suggestion.ShouldContain("issue");
    }

    [Fact]
    public void Render_MissingMapKey_ErrorNamesPathAndListsKeys()
    {
        var error = TemplateTestData.RenderError("{{ issue.nope }}");

        (error.Line, error.Column).ShouldBe((1, 10));
        error.Detail.ShouldBe("'issue' has no key 'nope'");
        error.Suggestion.ShouldContain("identifier");
    }

    [Fact]
    public void Render_MissingNestedKey_ErrorNamesFullPath() =>
        TemplateTestData.RenderError("{{ issue.blocked_by[0].nme }}").Detail.ShouldBe("'issue.blocked_by[0]' has no key 'nme'");

    [Fact]
    public void Render_MissingKeyInCondition_IsAnError() =>
        TemplateTestData.RenderError("{% if issue.asignee %}x{% endif %}").Detail.ShouldBe("'issue' has no key 'asignee'");

    [Fact]
    public void Render_AttemptDefinedAsNil_IsNotUnknown() =>
        TemplateTestData.Render("[{{ attempt }}]{% if attempt %}x{% endif %}").ShouldBe("[]");

    [Fact]
    public void Render_AttemptAbsent_IsUnknown()
    {
        var inputs = new Dictionary<string, object?> { ["issue"] = new Dictionary<string, object?>() };

        TemplateTestData.RenderError("{{ attempt }}", inputs).Detail.ShouldBe("undefined variable 'attempt'");
    }

    [Fact]
    public void Render_PropertyOfNil_IsAnError()
    {
        var error = TemplateTestData.RenderError("{{ attempt.x }}");

        error.Detail.ShouldBe("'attempt' is nil, so it has no property 'x'");
        error.Suggestion.ShouldContain("{% if attempt %}");
    }

    [Theory]
    [InlineData("{{ issue.title.nope }}", "'issue.title' is a string; it has .size but no property 'nope'")]
    [InlineData("{{ issue.labels.nope }}", "'issue.labels' is an array; it has .size, .first, .last and [index] but no property 'nope'")]
    [InlineData("{{ issue.priority.x }}", "'issue.priority' is the number 2, which has no property 'x'")]
    [InlineData("{{ issue[nil] }}", "cannot look up 'issue' with nil as the key")]
    [InlineData("{% for l in issue.labels %}{% endfor %}{{ l }}", "undefined variable 'l'")]
    [InlineData("{{ forloop.index }}", "undefined variable 'forloop'")]
    [InlineData("{{ 1 | divided_by: 0 }}", "filter 'divided_by': divided by 0")]
    [InlineData("{{ 1 | modulo: 0.0 }}", "filter 'modulo': divided by 0")]
    [InlineData("{% if 1 < 'a' %}{% endif %}", "cannot compare the number 1 with the string \"a\"")]
    [InlineData("{% for x in 5 %}{% endfor %}", "'for' cannot iterate over the number 5")]
    [InlineData("{% for x in nums limit: 'lots' %}{% endfor %}", "'limit' and 'offset' must be integers, not the string \"lots\"")]
    [InlineData("{{ nums | concat: 'x' }}", "filter 'concat': the argument must be an array, not the string \"x\"")]
    [InlineData("{{ 'abc' | truncate: 'x' }}", "filter 'truncate': expected an integer, not the string \"x\"")]
    [InlineData("{{ people | sort }}", "filter 'sort': cannot sort a map with a map")]
    [InlineData("{{ 'a,1' | split: ',' | concat: nums | sort }}", "filter 'sort': cannot compare the string \"a\" with the number 3")]
    [InlineData("{{ ('a'..3) }}", "a range bound must be an integer, not the string \"a\"")]
    public void Render_InvalidOperation_IsRenderError(string template, string detail)
    {
        var error = TemplateTestData.RenderError(template);

        error.Code.ShouldBe(WorkflowErrorCodes.TemplateRenderError);
        error.Detail.ShouldBe(detail);
    }

    [Fact]
    public void Render_MixedSort_IsRenderError() =>
        TemplateTestData.RenderError("{{ nums | concat: words | sort }}").Detail.ShouldStartWith("filter 'sort': cannot compare the number");

    [Fact]
    public void Parse_UnknownFilter_ErrorAtParseTimeWithSuggestion()
    {
        var error = TemplateTestData.ParseError("Title:\n{{ issue.title | upcasee }}");

        error.Code.ShouldBe(WorkflowErrorCodes.TemplateParseError);
        (error.Line, error.Column).ShouldBe((2, 18));
        error.Detail.ShouldBe("unknown filter 'upcasee'");
        error.Suggestion.ShouldStartWith("Did you mean 'upcase'?");
    }

    [Theory]
    [InlineData("{{ 'a' | append }}", "filter 'append' takes 1 argument, not 0")]
    [InlineData("{{ 'a' | upcase: 1 }}", "filter 'upcase' takes no arguments, not 1")]
    [InlineData("{{ 'a' | slice: 1, 2, 3 }}", "filter 'slice' takes 1 to 2 arguments, not 3")]
    [InlineData("{{ 'a' | replace_last: 'a' }}", "filter 'replace_last' takes 2 arguments, not 1")]
    [InlineData("{{ 'a' | default: 1, allow_nil: true }}", "filter 'default' has no option 'allow_nil'")]
    [InlineData("{{ 'a' | }}", "expected a filter name after '|', found the end of the markup")]
    [InlineData("{% iff x %}", "unknown tag 'iff'")]
    [InlineData("{% %}", "a tag needs a name, as in {% if … %} or {% assign … %}")]
    [InlineData("{% if x %}{% endfor %}", "{% endfor %} does not close 'if' opened at line 1, column 1 (expected {% endif %})")]
    [InlineData("{% for x in y %}{% elsif z %}{% endfor %}", "{% elsif %} is not valid inside 'for' (opened at line 1, column 1)")]
    [InlineData("{% endif %}", "{% endif %} has no matching {% if %}")]
    [InlineData("{% else %}", "{% else %} is not inside an if, unless, case or for block")]
    [InlineData("{% when 1 %}", "{% when %} is not inside a case block")]
    [InlineData("{% break %}", "{% break %} is only allowed inside a for loop")]
    [InlineData("{% if true %}{% continue %}{% endif %}", "{% continue %} is only allowed inside a for loop")]
    [InlineData("{% if a %}{% else %}{% else %}{% endif %}", "{% else %} after {% else %} in 'if'")]
    [InlineData("{% if a %}{% else %}{% elsif b %}{% endif %}", "{% elsif %} after {% else %} in 'if'")]
    [InlineData("{% case a %}{% else %}{% when 1 %}{% endcase %}", "{% when %} after {% else %} in 'case'")]
    [InlineData("{% if x | size %}{% endif %}", "filters cannot be used in a condition")]
    [InlineData("{% if %}{% endif %}", "'if' needs a condition")]
    [InlineData("{% if a == %}{% endif %}", "expected a value, found the end of the markup")]
    [InlineData("{% endif x %}", "{% endif %} has no matching {% if %}")]
    [InlineData("{% if a %}{% endif x %}", "'endif' takes no arguments")]
    [InlineData("{% for x %}{% endfor %}", "expected 'in' after the loop variable, found the end of the markup")]
    [InlineData("{% for x in y sorted %}{% endfor %}", "unknown 'for' option 'sorted' (expected reversed, limit: or offset:)")]
    [InlineData("{% assign = 1 %}", "expected a variable name, as in {% assign name = value %}, found '='")]
    [InlineData("{% assign x 1 %}", "expected '=' after the variable name, found '1'")]
    [InlineData("{% assign x = %}", "'assign' needs a value after '='")]
    [InlineData("{{ 'abc }}", "the string starting here is never closed with '")]
    [InlineData("{{ issue.title issue.id }}", "unexpected 'issue'")]
    [InlineData("{{ issue.title & 1 }}", "unexpected character '&'")]
    [InlineData("{% if !x %}{% endif %}", "unexpected '!' (Liquid has no 'not'; use 'unless' or '!=')")]
    [InlineData("{{ (1..) }}", "expected a value, found ')'")]
    [InlineData("{{ (1 2) }}", "expected '..' in a range such as (1..5), found '2'")]
    [InlineData("{{ issue. }}", "expected a property name after '.', found the end of the markup")]
    [InlineData("{{ issue[0 }}", "expected ']', found the end of the markup")]
    [InlineData("{% raw x %}{% endraw %}", "'raw' takes no arguments")]
    [InlineData("{% break now %}", "'break' takes no arguments")]
    [InlineData("{% liquid\nif true\n%}", "'if' is never closed with {% endif %}")]
    [InlineData("{% liquid\nraw\n%}", "'raw' cannot be used inside {% liquid %}")]
    public void Parse_InvalidSyntax_IsParseError(string template, string detail)
    {
        var error = TemplateTestData.ParseError(template);

        error.Code.ShouldBe(WorkflowErrorCodes.TemplateParseError);
        error.Detail.ShouldBe(detail);
    }

    [Theory]
    [InlineData("line\n{% if true %}\nx", 2, 1, "'if' is never closed with {% endif %}")]
    [InlineData("{% for x in y %}\n{% if x %}\n{% endfor %}", 3, 1, "{% endfor %} does not close 'if' opened at line 2, column 1 (expected {% endif %})")]
    [InlineData("a\nb {% unless x %}", 2, 3, "'unless' is never closed with {% endunless %}")]
    [InlineData("{% case x %}{% when 1 %}", 1, 1, "'case' is never closed with {% endcase %}")]
    [InlineData("\n\n  {% for x in y %}{% else %}", 3, 3, "'for' is never closed with {% endfor %}")]
    [InlineData("{% capture x %}", 1, 1, "'capture' is never closed with {% endcapture %}")]
    [InlineData("x\n{% comment %}{% endif %}", 2, 1, "'comment' is never closed with {% endcomment %}")]
    [InlineData("x\n {% raw %}{{ }}", 2, 2, "'raw' is never closed with {% endraw %}")]
    [InlineData("ok\n  {{ issue.title", 2, 3, "'{{' is never closed with '}}'")]
    [InlineData("ok {{ issue.title %}\nmore", 1, 4, "'{{' is never closed with '}}'")]
    [InlineData("ok\n\n{% if x", 3, 1, "'{%' is never closed with '%}'")]
    [InlineData("{{ a }}\n{{ b | nope }}", 2, 8, "unknown filter 'nope'")]
    public void Parse_UnclosedOrMisplaced_ReportsLineAndColumn(string template, int line, int column, string detail)
    {
        var error = TemplateTestData.ParseError(template);

        (error.Line, error.Column).ShouldBe((line, column));
        error.Detail.ShouldBe(detail);
    }

    [Fact]
    public void Parse_FirstLineAndSourceName_ShapeTheMessage()
    {
        var error = Should.Throw<TemplateException>(() => LiquidTemplate.Parse("Hello\n{{ x | nope }}", "WORKFLOW.md", firstLine: 10));

        error.Message.ShouldBe("WORKFLOW.md:11:8: unknown filter 'nope'");
        error.SourceName.ShouldBe("WORKFLOW.md");
    }

    [Fact]
    public void Parse_DeeplyNestedBlocks_IsParseErrorNotStackOverflow()
    {
        var template = string.Concat(Enumerable.Repeat("{% if true %}", 150)) + string.Concat(Enumerable.Repeat("{% endif %}", 150));

        TemplateTestData.ParseError(template).Detail.ShouldBe("blocks are nested more than 100 deep");
    }

    [Fact]
    public void Parse_DeeplyNestedExpression_IsParseError()
    {
        var template = "{{ a" + string.Concat(Enumerable.Repeat("[a", 100)) + new string(']', 100) + " }}";

        TemplateTestData.ParseError(template).Detail.ShouldBe("the expression is nested more than 32 deep");
    }

    [Fact]
    public void Render_LongConditionChain_DoesNotRecurse()
    {
        var template = "{% if " + string.Join(" or ", Enumerable.Repeat("false", 20_000)) + " or true %}y{% endif %}";

        TemplateTestData.Render(template).ShouldBe("y");
    }

    [Fact]
    public void Render_OutputOverLimit_IsRenderError()
    {
        var error = TemplateTestData.RenderError(
            "{% for i in (1..1000) %}xxxxxxxxxx{% endfor %}",
            options: TemplateTestData.Options(maxOutput: 100));

        error.Code.ShouldBe(WorkflowErrorCodes.TemplateRenderError);
        error.Detail.ShouldBe("the rendered text would exceed 100 characters (the output limit)");
    }

    [Fact]
    public void Render_DoublingStringInLoop_StopsAtOutputLimit()
    {
        var error = TemplateTestData.RenderError(
            "{% assign s = 'xx' %}{% for i in (1..64) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}",
            options: TemplateTestData.Options(maxOutput: 10_000));

        error.Detail.ShouldBe("filter 'append': the rendered text would exceed 10000 characters (the output limit)");
    }

    [Fact]
    public void Render_ReplaceBlowUp_StopsAtOutputLimit() =>
        TemplateTestData.RenderError(
                "{% assign s = 'aaaaaaaaaa' %}{% assign s = s | replace: 'a', s | replace: 'a', s | replace: 'a', s %}",
                options: TemplateTestData.Options(maxOutput: 1_000))
            .Detail.ShouldStartWith("filter 'replace': the rendered text would exceed");

    [Fact]
    public void Render_TooManyIterations_IsRenderError()
    {
        var error = TemplateTestData.RenderError(
            "{% for i in (1..1000) %}{% for j in (1..1000) %}{% endfor %}{% endfor %}",
            options: TemplateTestData.Options(maxIterations: 5_000));

        error.Detail.ShouldBe("the template ran more than 5000 loop iterations (the iteration limit)");
        (error.Line, error.Column).ShouldBe((1, 25));
    }

    [Fact]
    public void Render_HugeRangeAsArray_IsRenderError() =>
        TemplateTestData.RenderError("{{ (1..100000000) | join }}", options: TemplateTestData.Options(maxIterations: 1_000))
            .Detail.ShouldBe("filter 'join': a collection would have more than 1000 items (the iteration limit)");

    [Fact]
    public void Render_ConcatDoubling_StopsAtCollectionLimit() =>
        TemplateTestData.RenderError(
                "{% assign a = nums %}{% for i in (1..40) %}{% assign a = a | concat: a %}{% endfor %}",
                options: TemplateTestData.Options(maxIterations: 1_000))
            .Detail.ShouldBe("filter 'concat': a collection would have more than 1000 items (the iteration limit)");

    [Fact]
    public void Render_RangeNearLongMax_Terminates() =>
        TemplateTestData.Render("{% for i in (9223372036854775806..9223372036854775807) %}{{ i }};{% endfor %}")
            .ShouldBe("9223372036854775806;9223372036854775807;");

    [Fact]
    public void Render_InputWithCycle_IsRenderError()
    {
        var map = new Dictionary<string, object?>();
        map["self"] = map;

        TemplateTestData.RenderError("{{ m | json }}", new Dictionary<string, object?> { ["m"] = map })
            .Detail.ShouldBe("filter 'json': values are nested more than 64 deep");
    }
}
