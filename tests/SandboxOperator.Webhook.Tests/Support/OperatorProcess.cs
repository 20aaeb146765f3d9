using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SandboxOperator.Webhook.Tests.Support;

/// <summary>
/// The real <c>sandbox-operator</c> executable on 127.0.0.1 with free ports and <c>--state-dir</c> the
/// test samples; everything it writes to stdout and stderr is kept.
/// </summary>
internal sealed class OperatorProcess : IAsyncDisposable
{
    private readonly Process _process;

    private OperatorProcess(Process process, int webhookPort, int healthPort)
    {
        _process = process;
        WebhookPort = webhookPort;
        HealthPort = healthPort;
    }

    public int WebhookPort { get; }
    public int HealthPort { get; }
    public int Id => _process.Id;
    public ConcurrentQueue<string> Stdout { get; } = new();
    public ConcurrentQueue<string> Stderr { get; } = new();

    /// <summary>Everything written so far, stdout then stderr.</summary>
    public string Output => string.Join('\n', Stdout) + "\n" + string.Join('\n', Stderr);

    public Uri WebhookUri(string path) => new($"https://127.0.0.1:{WebhookPort}{path}");

    public static async Task<OperatorProcess> StartAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var ports = FreePorts(3);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sandbox-operator.dll"));
        foreach (var a in (string[])["--state-dir", RunningHost.SamplesDir, "--bind-address", "127.0.0.1",
                     "--webhook-port", $"{ports[0]}", "--health-port", $"{ports[1]}", "--metrics-port", $"{ports[2]}", .. args])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("KUBERNETES_SERVICE_HOST");
        psi.Environment["DOTNET_gcServer"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        var process = Process.Start(psi)!;
        var op = new OperatorProcess(process, ports[0], ports[1]);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { op.Stdout.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { op.Stderr.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"sandbox-operator exited with {process.ExitCode}:\n{op.Output}");
            }

            try
            {
                using var ready = await http.GetAsync(new Uri($"http://127.0.0.1:{ports[1]}/readyz"));
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return op;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        await op.DisposeAsync();
        throw new TimeoutException($"sandbox-operator did not become ready in 30 s:\n{op.Output}");
    }

    /// <summary>Sends SIGTERM, as the kubelet does when the pod is deleted.</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", $"{_process.Id}" }, UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>The exit code, or throws when the process has not exited within <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Waits until a line of stdout contains <paramref name="text"/>.</summary>
    public async Task WaitForLogAsync(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!Stdout.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"no log line containing \"{text}\" within {timeout.TotalSeconds} s:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
