using Baton.Core.Workflows;

namespace Baton.Core.Tests.Workflows;

public class FrontMatterJsonTests
{
    [Fact]
    public void ToElement_ApprovalPolicyMap_KeepsShapeAndGivesScalarsTheirYamlTypes()
    {
        var document = WorkflowDocument.Parse(
            """
            ---
            codex:
              approval_policy:
                granular:
                  sandbox_approval: true
                  rules: false
                  limit: 3
                  ratio: 0.5
                  label: "on request"
                  roots: [a, b]
            ---
            prompt
            """,
            "WORKFLOW.md");
        var policy = ((IReadOnlyDictionary<string, object?>)document.FrontMatter["codex"]!)["approval_policy"];

        var json = FrontMatterJson.ToElement(policy)!.Value.GetRawText();

        json.ShouldBe("""{"granular":{"sandbox_approval":true,"rules":false,"limit":3,"ratio":0.5,"label":"on request","roots":["a","b"]}}""");
    }

    [Fact]
    public void ToElement_PolicyName_IsAString()
    {
        FrontMatterJson.ToElement("on-request")!.Value.GetString().ShouldBe("on-request");
        FrontMatterJson.ToElement(null).ShouldBeNull();
    }
}
