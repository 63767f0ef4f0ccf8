using System.Text.Json;
using Baton.Tests.Orchestration;
using Baton.Tests.TestSupport;
using OpenQA.Selenium;
using static Baton.Tests.Orchestration.RunWorkflows;

namespace Baton.Tests.Web;

/// <summary>The dashboard served by a real <c>baton run</c> with a real session (tmux, worker, command agent).</summary>
[Collection(BrowserCollection.Name)]
public sealed class DashboardRunBrowserTests(Browser browser)
{
    [Fact]
    public async Task Dashboard_AgainstBatonRun_ShowsTheRealSessionAndItsTranscriptLive()
    {
        await using var w = await SessionWorld.CreateAsync();
        var go = Path.Combine(w.World.Root, "go");
        Write(w, $"""
            echo "step one: reading the code"
            while [ ! -f {go} ]; do sleep 0.1; done
            echo "step two: the tests are green"
            sleep 7301
            """);
        var task = await w.AddTaskAsync("Show <b>this</b> on the dashboard");
        await using var daemon = await RunDaemon.StartAsync(w);
        var url = daemon.Http.BaseAddress!.ToString().TrimEnd('/');
        try
        {
            var state = await daemon.WaitForStateAsync(s => Rows(s, "running").Any(r => r.GetProperty("session").ValueKind == JsonValueKind.String), "the session running");
            var session = Rows(state, "running").Single().GetProperty("session").GetString()!;

            browser.Open(url + "/");
            browser.WaitReady();
            browser.WaitLive();
            var row = By.CssSelector($"#running tr[data-session='{session}']");
            browser.Until(d => d.FindElement(row).Text.Contains("said: step one: reading the code", StringComparison.Ordinal), "the running session and its last event", TimeSpan.FromSeconds(30));
            var text = browser.Until(d => d.FindElement(row).Text, "the row");
            text.ShouldContain(task);
            text.ShouldContain("Show <b>this</b> on the dashboard");
            text.ShouldContain("command");
            browser.Screenshot("dashboard-baton-run");

            browser.Open(url + "/sessions/" + session);
            browser.WaitReady();
            browser.WaitLive();
            var transcript = browser.Driver.FindElement(By.Id("transcript"));
            browser.Until(_ => transcript.Text.Contains("step one: reading the code", StringComparison.Ordinal), "the transcript", TimeSpan.FromSeconds(30));
            browser.Driver.FindElement(By.Id("facts")).Text.ShouldContain("Show <b>this</b> on the dashboard");
            browser.Script("window.__sameDocument = 'yes';");

            File.WriteAllText(go, string.Empty);

            browser.Until(_ => transcript.Text.Contains("step two: the tests are green", StringComparison.Ordinal), "the next line, live", TimeSpan.FromSeconds(30));
            browser.Script("return window.__sameDocument;").ShouldBe("yes");
            browser.Screenshot("session-baton-run");
        }
        finally
        {
            browser.Open("about:blank");
        }

        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }

    [Fact]
    public async Task Dashboard_AgainstBatonRun_AnswerTypedInTheBoxReachesTheAgentsNextRun()
    {
        await using var w = await SessionWorld.CreateAsync();
        var agent = new StandIn(Path.Combine(w.World.Root, "agent"), """
            {"turns": [{"steps": [{"message": "I need to know one thing."}, {"userInput": "Which database should the cache use?"}, {"sleep": 30000}]}]}
            """);
        ConformanceWorkflows.WriteLocal(w, agent);
        var task = await w.AddTaskAsync("Add a cache");
        await using var daemon = await RunDaemon.StartAsync(w);
        var url = daemon.Http.BaseAddress!.ToString().TrimEnd('/');
        try
        {
            var state = await daemon.WaitForStateAsync(s => Rows(s, "blocked").Any(), "the task waiting for a person", 60);
            var session = Rows(state, "blocked").Single().GetProperty("session").GetString()!;

            browser.Open(url + "/");
            browser.WaitReady();
            var card = By.CssSelector($"#blocked [data-session='{session}']");
            browser.Until(d => d.FindElement(card).Text.Contains("Which database should the cache use?", StringComparison.Ordinal), "the question on the dashboard", TimeSpan.FromSeconds(30));
            browser.Until(d => d.FindElement(card).Text, "the card").ShouldContain(task);
            var form = browser.Until(d => d.FindElement(By.CssSelector($"#blocked form[data-answer='{session}']")), "the answer box");
            form.FindElement(By.TagName("textarea")).SendKeys("Use PostgreSQL.");
            form.FindElement(By.CssSelector("button[type=submit]")).Click();

            // Accepted: the page says so, and the task leaves the waiting list at the next update.
            try
            {
                browser.Until(d => d.FindElements(By.CssSelector($"#blocked [data-sent='{session}']")).Count == 1, "the answer shown as sent", TimeSpan.FromSeconds(30));
            }
            catch (WebDriverTimeoutException timeout)
            {
                var page = browser.Driver.FindElement(By.Id("blocked")).Text;
                var now = await daemon.StateAsync();
                throw new ShouldAssertException($"{timeout.Message}\nthe waiting list on the page: {page}\nthe form said: {form.Text}\nthe API: {now}\nthe log: {File.ReadAllText(Path.Combine(w.World.Home, "logs", "baton-run.log"))}", timeout);
            }
            await agent.WaitForAsync(a => a.Turns.Any(t => t.Text.Contains("Use PostgreSQL.", StringComparison.Ordinal)), "the answer reaching a new run of the agent", 60);
        }
        finally
        {
            browser.Open("about:blank");
        }

        (await daemon.StopAsync()).ShouldBe(0, daemon.Stderr);
    }
}
