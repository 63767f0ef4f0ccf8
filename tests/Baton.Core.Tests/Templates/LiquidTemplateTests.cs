using Baton.Core.Templates;

namespace Baton.Core.Tests.Templates;

public class LiquidTemplateTests
{
    [Theory]
    [InlineData("{{ 'single' }} {{ \"double\" }} {{ 42 }} {{ -1.5 }} {{ true }} {{ false }} {{ nil }}{{ null }}|", "single double 42 -1.5 true false |")]
    [InlineData("{{ }}|{{}}|", "||")]
    [InlineData("{{ issue['branch_name'] }}", "app-42-fix-login-redirect")]
    [InlineData("{{ issue.labels[0] }}/{{ issue.labels[-1] }}", "bug/auth")]
    [InlineData("{{ issue.labels.size }} {{ issue.labels.first }} {{ issue.labels.last }}", "2 bug auth")]
    [InlineData("{{ issue.blocked_by[1].state }}", "In Progress")]
    [InlineData("{{ issue.blocked_by.first.identifier }}", "APP-40")]
    [InlineData("{{ issue.labels[5] }}|", "|")]
    [InlineData("{{ issue.title.size }} {{ issue.size }}", "18 15")]
    [InlineData("{% assign k = 'title' %}{{ issue[k] }}", "Fix login redirect")]
    [InlineData("{% assign i = 1 %}{{ issue.labels[i] }}", "auth")]
    [InlineData("{{ issue.labels }}", "bugauth")]
    [InlineData("{{ nested }}", "123")]
    [InlineData("{{ (1..3) }} {{ (1..3) | join: ',' }}", "1..3 1,2,3")]
    [InlineData("{{ issue.blocked_by[0] }}", "{\"id\":\"t-40\",\"identifier\":\"APP-40\",\"state\":\"Done\"}")]
    [InlineData("{{ zero }} {{ big }} {{ price }} {{ flag }} {{ when }}", "0 10000000000 4.5 false 2026-03-14T15:09:26Z")]
    [InlineData("{{ attempt }}|", "|")]
    public void Render_Output_WritesValuesAsLiquid(string template, string expected) => Assert(template, expected);

    [Theory]
    [InlineData("a  {{- 'b' -}}  c", "abc")]
    [InlineData("a \n {%- if true -%} \n b \n {%- endif -%} \n c", "abc")]
    [InlineData("a\n{% if true %}\nb\n{% endif %}\nc", "a\n\nb\n\nc")]
    [InlineData("<ul>\n{%- for l in issue.labels %}\n  <li>{{ l }}</li>\n{%- endfor %}\n</ul>", "<ul>\n  <li>bug</li>\n  <li>auth</li>\n</ul>")]
    [InlineData("x {%- # note -%} y", "xy")]
    [InlineData("x {%- raw -%}  {{ a }}  {%- endraw -%} y", "x{{ a }}y")]
    public void Render_WhitespaceControl_StripsNeighbouringWhitespace(string template, string expected) => Assert(template, expected);

    [Theory]
    [InlineData("{% if issue.priority == 1 %}urgent{% elsif issue.priority == 2 %}high{% else %}normal{% endif %}", "high")]
    [InlineData("{% if issue.priority == 9 %}a{% elsif false %}b{% else %}c{% endif %}", "c")]
    [InlineData("{% if issue.priority == 9 %}a{% endif %}|", "|")]
    [InlineData("{% unless issue.assignee %}unassigned{% endunless %}", "unassigned")]
    [InlineData("{% unless attempt %}first{% else %}retry{% endunless %}", "first")]
    [InlineData("{% unless true %}a{% elsif true %}b{% endunless %}", "b")]
    [InlineData("{% if issue.title contains 'login' %}y{% endif %}", "y")]
    [InlineData("{% if issue.labels contains 'bug' %}y{% endif %}{% if issue.labels contains 'ui' %}n{% endif %}", "y")]
    [InlineData("{% if issue contains 'branch_name' %}y{% endif %}", "y")]
    [InlineData("{% if nums contains 2 %}y{% endif %}{% if nums contains '2' %}n{% endif %}", "y")]
    [InlineData("{% if 2 > 1 and 1 >= 1 and 1 <= 2 and 1 < 2 and 1 != 2 and 1 <> 2 and 1 == 1.0 %}y{% endif %}", "y")]
    [InlineData("{% if 'b' > 'a' and 'B' < 'a' %}y{% endif %}", "y")]
    [InlineData("{% if true or false and false %}y{% else %}n{% endif %}", "y")]
    [InlineData("{% if false and false or true %}y{% else %}n{% endif %}", "n")]
    [InlineData("{% if '' %}a{% endif %}{% if 0 %}b{% endif %}{% if empty_list %}c{% endif %}{% if nil %}d{% endif %}{% if flag %}e{% endif %}", "abc")]
    [InlineData("{% if '' == empty %}a{% endif %}{% if empty_list == empty %}b{% endif %}{% if blank_text == blank %}c{% endif %}{% if nil == blank %}d{% endif %}{% if issue.labels == empty %}e{% endif %}{% if issue.labels != empty %}f{% endif %}{% if nil == empty %}g{% endif %}", "abcdf")]
    [InlineData("{% if attempt == nil %}first{% endif %}{% if attempt > 1 %}never{% endif %}", "first")]
    [InlineData("{% if issue.blocked_by[0] == issue.blocked_by.first %}same{% endif %}", "same")]
    public void Render_Conditions_UseLiquidTruthinessAndOrder(string template, string expected) => Assert(template, expected);

    [Theory]
    [InlineData("{% case issue.state %}{% when 'Todo', 'Backlog' %}start{% when 'In Progress' %}go on{% else %}?{% endcase %}", "start")]
    [InlineData("{% case issue.state %}{% when 'x' or 'Todo' %}start{% endcase %}", "start")]
    [InlineData("{% case issue.priority %}{% when 1 %}one{% else %}other{% endcase %}", "other")]
    [InlineData("{% case 1 %}ignored{% when 1 %}a{% when 1 %}b{% else %}c{% endcase %}", "ab")]
    [InlineData("{% case attempt %}{% when nil %}first{% endcase %}", "first")]
    public void Render_Case_RendersMatchingWhens(string template, string expected) => Assert(template, expected);

    [Theory]
    [InlineData("{% for i in (1..10) limit: 3 offset: 2 %}{{ i }}{% endfor %}", "345")]
    [InlineData("{% for i in (1..5) reversed %}{{ i }}{% endfor %}", "54321")]
    [InlineData("{% for i in (1..5) reversed limit: 2 %}{{ i }}{% endfor %}", "21")]
    [InlineData("{% for l in issue.labels reversed %}{{ l }}{% endfor %}", "authbug")]
    [InlineData("{% for l in words offset: 1 limit: 2 %}{{ l }},{% endfor %}", "Apple,cherry,")]
    [InlineData("{% assign n = 3 %}{% for i in (1..n) %}{{ i }}{% endfor %}", "123")]
    [InlineData("{% for i in (1..9999999999) limit: 2 %}{{ i }}{% endfor %}", "12")]
    [InlineData("{% for i in (1..3) %}{{ forloop.index0 }}{{ forloop.index }}{{ forloop.rindex }}{{ forloop.rindex0 }}{{ forloop.first }}{{ forloop.last }}{{ forloop.length }};{% endfor %}",
        "0132truefalse3;1221falsefalse3;2310falsetrue3;")]
    [InlineData("{% for a in (1..2) %}{% for b in (1..2) %}{{ forloop.parentloop.index }}{{ b }} {% endfor %}{% endfor %}", "11 12 21 22 ")]
    [InlineData("{% for i in (1..10) %}{% if i == 4 %}{% break %}{% endif %}{% if i == 2 %}{% continue %}{% endif %}{{ i }}{% endfor %}", "13")]
    [InlineData("{% for a in (1..2) %}{% for b in (1..3) %}{% if b == 2 %}{% break %}{% endif %}{{ a }}{{ b }} {% endfor %}{% endfor %}", "11 21 ")]
    [InlineData("{% for x in empty_list %}{{ x }}{% else %}none{% endfor %}", "none")]
    [InlineData("{% for x in issue.assignee %}x{% else %}nobody{% endfor %}", "nobody")]
    [InlineData("{% for x in (3..1) %}x{% else %}empty range{% endfor %}", "empty range")]
    [InlineData("{% for x in nums limit: 0 %}x{% else %}none{% endfor %}", "none")]
    [InlineData("{% for pair in issue.blocked_by[0] %}{{ pair[0] }}={{ pair[1] }};{% endfor %}", "id=t-40;identifier=APP-40;state=Done;")]
    [InlineData("{% for c in issue.title %}[{{ c }}]{% endfor %}", "[Fix login redirect]")]
    [InlineData("{% for b in issue.blocked_by %}{% unless b.state == 'Done' %}{{ b.identifier }}{% endunless %}{% endfor %}", "APP-41")]
    [InlineData("{% for i in (1..3) %}{% assign last = i %}{% endfor %}{{ last }}", "3")]
    [InlineData("{% assign i = 'outer' %}{% for i in (1..2) %}{{ i }}{% endfor %}{{ i }}", "12outer")]
    public void Render_For_IteratesLikeLiquid(string template, string expected) => Assert(template, expected);

    [Theory]
    [InlineData("{% assign n = issue.labels | size | plus: 1 %}{{ n }}", "3")]
    [InlineData("{% assign issue = 'shadowed' %}{{ issue }}", "shadowed")]
    [InlineData("{% capture greeting %}Hi {{ issue.identifier }}{% endcapture %}{{ greeting | upcase }}", "HI APP-42")]
    [InlineData("{% capture 'quoted' %}q{% endcapture %}{{ quoted }}", "q")]
    [InlineData("{% assign s = '' %}{% for i in (1..3) %}{% capture s %}{{ s }}{{ i }}{% endcapture %}{% endfor %}{{ s }}", "123")]
    [InlineData("a{% comment %} {% if %} {{ nope | nofilter }} {% comment %}x{% endcomment %} {% endcomment %}b", "ab")]
    [InlineData("a{% # note about {{ x }} %}b", "ab")]
    [InlineData("{% raw %}{{ not parsed }} {% if %}{% endraw %}", "{{ not parsed }} {% if %}")]
    [InlineData("{% echo issue.identifier | downcase %}", "app-42")]
    [InlineData("{% liquid\n  assign count = issue.labels | size\n  # a comment line\n  if count > 1\n    echo 'many'\n  else\n    echo 'few'\n  endif\n  for l in issue.labels\n    echo l | prepend: ' '\n  endfor\n%}", "many bug auth")]
    public void Render_OtherTags_Work(string template, string expected) => Assert(template, expected);

    [Fact]
    public void Render_AttemptSet_RendersRetryBranch()
    {
        var output = TemplateTestData.Render(
            "{% if attempt %}Retry #{{ attempt }}{% if attempt > 1 %} (again){% endif %}{% else %}First run{% endif %}",
            TemplateTestData.Inputs(attempt: 2));

        output.ShouldBe("Retry #2 (again)");
    }

    [Fact]
    public void Render_SameTemplateTwice_IsIndependent()
    {
        var template = LiquidTemplate.Parse("{% assign x = x | default: 0 | plus: 1 %}{{ x }}");
        var inputs = new Dictionary<string, object?> { ["x"] = null };

        template.Render(inputs).ShouldBe("1");
        template.Render(inputs).ShouldBe("1");
    }

    [Fact]
    public void Render_VariousInputTypes_AreNormalized()
    {
        var inputs = new Dictionary<string, object?>
        {
            ["i"] = 7,
            ["s"] = (short)3,
            ["u"] = ulong.MaxValue,
            ["f"] = 0.5f,
            ["d"] = new DateTime(2026, 5, 6, 7, 8, 9, DateTimeKind.Utc),
            ["c"] = 'z',
            ["e"] = DayOfWeek.Monday,
            ["g"] = Guid.Empty,
            ["typed"] = new Dictionary<string, int> { ["k"] = 1 },
            ["set"] = new HashSet<string> { "only" },
        };

        LiquidTemplate.Parse("{{ i | plus: s }} {{ u }} {{ f }} {{ d | date: '%F' }} {{ c }} {{ e }} {{ g }} {{ typed.k }} {{ set | first }}")
            .Render(inputs)
            .ShouldBe("10 1.8446744073709552e+19 0.5 2026-05-06 z Monday 00000000-0000-0000-0000-000000000000 1 only");
    }

    [Fact]
    public void Parse_SourceAndName_AreKept()
    {
        var template = LiquidTemplate.Parse("x", "WORKFLOW.md");

        template.Source.ShouldBe("x");
        template.SourceName.ShouldBe("WORKFLOW.md");
    }

    private static void Assert(string template, string expected) => TemplateTestData.Render(template).ShouldBe(expected);
}
