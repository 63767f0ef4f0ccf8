namespace Baton.Tests.TestSupport;

/// <summary>
/// The baton executable that tests launch as a real process: <c>BATON_TEST_BINARY</c> when set (test.sh points it at
/// the ReadyToRun publish, which starts several times faster), otherwise the apphost built next to this assembly.
/// </summary>
public static class BatonBinary
{
    public static string Path
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("BATON_TEST_BINARY");
            var path = string.IsNullOrEmpty(configured) ? System.IO.Path.Combine(AppContext.BaseDirectory, "baton") : configured;
            File.Exists(path).ShouldBeTrue($"{path} is missing: build the solution first (or fix BATON_TEST_BINARY)");
            return path;
        }
    }
}
