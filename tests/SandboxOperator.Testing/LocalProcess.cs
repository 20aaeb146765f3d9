using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace SandboxOperator.Testing;

/// <summary>
/// A child process whose stdout and stderr go, line by line, to a log file. Disposing it kills it with
/// its children; so does the end of the test process, for every one still running, so no etcd or API
/// server outlives a test run that ends normally.
/// </summary>
public sealed class LocalProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<LocalProcess, byte> Running = new();
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly object _logLock = new();

    static LocalProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var p in Running.Keys)
            {
                p.Kill();
            }
        };
    }

    private LocalProcess(string name, Process process, string logFile, StreamWriter log)
    {
        Name = name;
        _process = process;
        LogFile = logFile;
        _log = log;
    }

    /// <summary>A short name for messages ("etcd", "kube-apiserver", "operator-0").</summary>
    public string Name { get; }

    public string LogFile { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>User plus system CPU time the process has used so far (read from /proc on Linux).</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Starts <paramref name="file"/>; <paramref name="environment"/> entries with a null value are removed from the inherited environment.</summary>
    public static LocalProcess Start(string name, string file, IEnumerable<string> args, string logFile,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(logFile)!,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                psi.Environment.Remove(key);
            }
            else
            {
                psi.Environment[key] = value;
            }
        }

        var log = new StreamWriter(new FileStream(logFile, FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), Encoding.UTF8) { AutoFlush = true };
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var started = new LocalProcess(name, process, logFile, log);
        Running[started] = 0;
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Everything the process has written so far.</summary>
    public string Output
    {
        get
        {
            lock (_logLock)
            {
                using var reader = new StreamReader(new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
                return reader.ReadToEnd();
            }
        }
    }

    /// <summary>The last <paramref name="lines"/> lines, for failure messages.</summary>
    public string Tail(int lines = 30)
    {
        var all = Output.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines - 1)));
    }

    /// <summary>Throws with the log's tail when the process has exited (a start-up failure, a crash).</summary>
    public void ThrowIfExited()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}; its last lines ({LogFile}):\n{Tail()}");
        }
    }

    /// <summary>SIGTERM, as the kubelet stops a container; SIGKILL when it has not exited within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false }))
        {
            await term!.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            await _process.WaitForExitAsync();
        }

        Running.TryRemove(this, out _);
    }

    /// <summary>A loopback port free at the time of the call.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Sends SIGTERM, as the kubelet does when a pod is deleted, and returns without waiting.</summary>
    public void Terminate()
    {
        using var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        term.WaitForExit();
    }

    /// <summary>The exit code; throws <see cref="OperationCanceledException"/> when the process has not exited within <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        Running.TryRemove(this, out _);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL to the process and its children; returns at once.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exiting meanwhile.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        Running.TryRemove(this, out _);
        _process.Dispose();
        lock (_logLock)
        {
            _log.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output that arrives after dispose is dropped.
            }
        }
    }
}
