using Baton.Core.Errors;
using Baton.Core.Events;
using Baton.Core.Proofs;
using Baton.Proofs;
using Baton.Tests.TestSupport;

namespace Baton.Tests.Proofs;

public sealed class ProofBundleTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly string _session = Path.Combine(Path.GetTempPath(), "baton-tests", Guid.NewGuid().ToString("N")[..12], "app-1");

    public ProofBundleTests()
    {
        Directory.CreateDirectory(_session);
    }

    private static ProofDocument Proof(string outcome) => ProofBuilder.Build(new ProofInput
    {
        Now = s_t0,
        Task = new ProofTask("id", "APP-1", "Title", "Todo", null),
        Session = new ProofSession("app-1", "/s", "/w", null, s_t0),
        Events = [],
        Outcome = outcome,
        Validation = ProofValidation.NotConfigured,
        Handoff = new ProofHandoff { Enabled = false, Status = HandoffStatuses.NotEnabled },
        Transcript = new ProofTranscript(ProofDocument.TranscriptFile, TranscriptSources.Events),
    });

    private ProofBundle.Contents Contents(string outcome, IReadOnlyDictionary<string, string>? logs = null) =>
        new(Proof(outcome), $"summary {outcome}", $"<html>{outcome}</html>", null, logs ?? new Dictionary<string, string>());

    [Fact]
    public void Write_Twice_ReplacesTheWholeBundleAndLeavesNoTemporaryDirectory()
    {
        var log = Path.Combine(_session, "staged.log");
        File.WriteAllText(log, "validation output");
        ProofBundle.Write(_session, Contents(Outcomes.Failed, new Dictionary<string, string> { ["validation/1.log"] = log }));

        var path = ProofBundle.Write(_session, Contents(Outcomes.Succeeded));

        path.ShouldBe(Path.Combine(_session, "proof"));
        ProofBundle.Read(_session)!.Outcome.ShouldBe(Outcomes.Succeeded);
        File.ReadAllText(Path.Combine(path, "summary.md")).ShouldBe("summary succeeded");
        File.ReadAllText(Path.Combine(path, "transcript.html")).ShouldBe("<html>succeeded</html>");
        Directory.Exists(Path.Combine(path, "validation")).ShouldBeFalse(); // nothing of the old bundle is mixed in
        Directory.GetFileSystemEntries(_session).Select(Path.GetFileName).Order().ShouldBe(["proof", "staged.log"]);
    }

    [Fact]
    public void Write_ValidationLogsAndAgentTranscript_AreCopiedIn()
    {
        var log = Path.Combine(_session, "1.log");
        var export = Path.Combine(_session, "run-1.html");
        File.WriteAllText(log, "checked");
        File.WriteAllText(export, "<html>pi</html>");

        var path = ProofBundle.Write(_session, new ProofBundle.Contents(Proof(Outcomes.Succeeded), "s", null, export, new Dictionary<string, string> { ["validation/1.log"] = log }));

        File.ReadAllText(Path.Combine(path, "validation", "1.log")).ShouldBe("checked");
        File.ReadAllText(Path.Combine(path, "transcript.html")).ShouldBe("<html>pi</html>");
    }

    [Fact]
    public void Read_NoBundle_IsNull() => ProofBundle.Read(_session).ShouldBeNull();

    [Fact]
    public void Read_CorruptProofJson_IsProofUnreadable()
    {
        Directory.CreateDirectory(Path.Combine(_session, "proof"));
        File.WriteAllText(Path.Combine(_session, "proof", "proof.json"), "{ not json");

        Should.Throw<BatonException>(() => ProofBundle.Read(_session)).Code.ShouldBe(ErrorCodes.ProofUnreadable);
    }

    [Fact]
    public async Task Write_ReadOnlyProofDirectory_IsProofNotWritableAndKeepsTheOldBundle()
    {
        ProofBundle.Write(_session, Contents(Outcomes.Failed));
        var proof = Path.Combine(_session, "proof");
        await using (await ReadOnly.MakeAsync(proof))
        {
            var error = Should.Throw<BatonException>(() => ProofBundle.Write(_session, Contents(Outcomes.Succeeded)));

            error.Code.ShouldBe(ErrorCodes.ProofNotWritable);
            error.Message.ShouldContain(proof);
            error.Suggestion.ShouldContain("writable");
            ProofBundle.Read(_session)!.Outcome.ShouldBe(Outcomes.Failed);
        }

        Directory.GetFileSystemEntries(_session).Select(Path.GetFileName).ShouldBe(["proof"]);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(_session)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
