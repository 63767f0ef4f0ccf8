using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Baton.Tests.Web;

/// <summary>
/// Debian's headless Chromium driven through Debian's chromedriver (both installed by ./test.sh), with the flags
/// ../shared/reference/machine.md found to work here: no sandbox (root in a VM), no GPU, no QUIC, nothing fetched in
/// the background. One browser for all browser tests (starting one takes a second or more); each test opens its own
/// pages. Quitting the driver ends Chromium and chromedriver.
/// </summary>
public sealed class Browser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    private readonly ChromeDriverService _service;
    private readonly string _profile;

    public Browser()
    {
        if (!File.Exists(ChromiumPath) || !File.Exists(DriverPath))
        {
            throw new InvalidOperationException($"the browser tests need Debian's chromium and chromium-driver ({ChromiumPath}, {DriverPath}): ./test.sh installs them, or apt-get install -y chromium chromium-driver");
        }

        _profile = Path.Combine(Path.GetTempPath(), "baton-tests", "chromium-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_profile);

        // An explicit driver and browser: Selenium then never runs its Selenium Manager (which would download one).
        _service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        _service.SuppressInitialDiagnosticInformation = true;
        _service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments(
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            $"--user-data-dir={_profile}",
            "--window-size=1440,960");
        try
        {
            Driver = new ChromeDriver(_service, options, TimeSpan.FromSeconds(60));
        }
        catch
        {
            _service.Dispose();
            throw;
        }

        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        Driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(10);
    }

    public ChromeDriver Driver { get; }

    /// <summary>Where screenshots go: under the test output directory.</summary>
    public static string ScreenshotDirectory
    {
        get
        {
            var directory = Path.Combine(AppContext.BaseDirectory, "screenshots");
            Directory.CreateDirectory(directory);
            return directory;
        }
    }

    public void Open(string url) => Driver.Navigate().GoToUrl(url);

    /// <summary>Waits (bounded) until the page's script has loaded its first data (<c>body[data-ready]</c>).</summary>
    public void WaitReady(TimeSpan? bound = null) => Until(d => d.FindElement(By.TagName("body")).GetAttribute("data-ready") == "true", "the page loading its data", bound);

    /// <summary>Waits until the live connection is up (the page says "live").</summary>
    public void WaitLive(TimeSpan? bound = null) => Until(d => d.FindElement(By.Id("live")).Text == "live", "the live connection", bound);

    public T Until<T>(Func<IWebDriver, T> condition, string what, TimeSpan? bound = null)
    {
        var wait = new WebDriverWait(Driver, bound ?? TimeSpan.FromSeconds(15)) { PollingInterval = TimeSpan.FromMilliseconds(50), Message = what };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait.Until(condition);
    }

    public string Screenshot(string name)
    {
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    public object? Script(string script, params object[] args) => Driver.ExecuteScript(script, args);

    public void Dispose()
    {
        try
        {
            Driver.Quit();
        }
        finally
        {
            Driver.Dispose();
            _service.Dispose();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
                // Chromium may still be writing its profile as it exits; the temp directory is cleaned later.
            }
        }
    }
}

/// <summary>All browser tests share one Chromium and run one after another (xunit collection).</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Browser>
{
    public const string Name = "browser";
}
