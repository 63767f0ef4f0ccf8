using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Baton.Web;

/// <summary>
/// Kestrel for a server that lives inside another Baton program (the API server, the replay model): one listener on
/// the address given, no configuration read, and no hold on the process's signals.
/// </summary>
public static class EmbeddedWebHost
{
    public static WebApplicationBuilder CreateBuilder(string applicationName, IPAddress address, int port, long maxRequestBodyBytes, TimeSpan shutdownTimeout)
    {
        // The empty builder reads no configuration at all: no appsettings.json from the working directory, and no
        // ASPNETCORE_URLS or Kestrel__Endpoints__* variable can add an endpoint beside the one chosen here.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = applicationName,
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelCore();

        // The host must not take over SIGINT/SIGTERM: the command (or the test) that started the server owns them.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = maxRequestBodyBytes;
            kestrel.Listen(address, port);
        });
        return builder;
    }

    /// <summary>A host lifetime that leaves process signals alone: the server lives inside another program.</summary>
    private sealed class EmbeddedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
