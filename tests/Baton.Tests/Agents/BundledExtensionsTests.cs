using Baton.Agents.Pi;

namespace Baton.Tests.Agents;

/// <summary>The pi extensions embedded in the baton assembly and written under BATON_HOME for <c>pi -e</c>.</summary>
public sealed class BundledExtensionsTests : IDisposable
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "baton-tests", Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public void Files_HoldTheMailExtensionAsInTheRepository()
    {
        var mail = BundledExtensions.Files().Where(f => f.Path == "baton-mail.ts").ShouldHaveSingleItem();
        var text = System.Text.Encoding.UTF8.GetString(mail.Content);

        text.ShouldContain("name: \"send_message\"");
        text.ShouldContain("name: \"read_messages\"");
    }

    [Fact]
    public async Task Directory_ManyAtOnce_WritesOneFolderThatPiConfigLoads()
    {
        var folders = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => BundledExtensions.Directory(_home)))).WaitAsync(TimeSpan.FromSeconds(30));

        folders.Distinct().ShouldHaveSingleItem();
        var folder = folders[0]!;
        Path.GetFileName(folder).ShouldStartWith("pi-");
        Directory.GetDirectories(Path.Combine(_home, "extensions")).ShouldBe([folder]);
        PiConfig.Extensions(folder).ShouldBe([Path.Combine(folder, "baton-mail.ts")]);
    }

    public void Dispose()
    {
        if (Directory.Exists(_home))
        {
            Directory.Delete(_home, recursive: true);
        }
    }
}
