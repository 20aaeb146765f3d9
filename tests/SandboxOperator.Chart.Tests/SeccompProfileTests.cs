using System.Text.Json;

namespace SandboxOperator.Chart.Tests;

/// <summary>Checks config/seccomp/agent-restricted.json, the profile the low tier and the installer use.</summary>
[Collection(ChartCollection.Name)]
public sealed class SeccompProfileTests(ChartRenderer chart)
{
    private const long CloneNewUser = 0x10000000;

    public static TheoryData<string> Blocked => new()
    {
        "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root", "fsopen", "fsmount",
        "fsconfig", "move_mount", "open_tree", "unshare", "setns", "bpf", "perf_event_open", "kexec_load",
        "kexec_file_load", "init_module", "finit_module", "delete_module", "userfaultfd", "keyctl", "add_key",
        "request_key", "open_by_handle_at", "name_to_handle_at", "reboot", "swapon", "swapoff", "iopl", "ioperm",
        "acct", "lookup_dcookie", "quotactl", "nfsservctl",
    };

    private JsonElement Profile()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(chart.RepoRoot, "config", "seccomp", "agent-restricted.json")));
        return doc.RootElement.Clone();
    }

    private IEnumerable<JsonElement> Rules(string action) =>
        Profile().GetProperty("syscalls").EnumerateArray().Where(r => r.GetProperty("action").GetString() == action);

    private static IEnumerable<string> Names(JsonElement rule) => rule.GetProperty("names").EnumerateArray().Select(n => n.GetString()!);

    [Fact]
    public void Denies_by_default_on_amd64_and_arm64_with_their_compat_arches()
    {
        var p = Profile();
        Assert.Equal("SCMP_ACT_ERRNO", p.GetProperty("defaultAction").GetString());
        var arches = p.GetProperty("architectures").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Equal(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], arches);
        var actions = p.GetProperty("syscalls").EnumerateArray().Select(r => r.GetProperty("action").GetString()).Distinct();
        Assert.All(actions, a => Assert.Contains(a, new[] { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO" }));
    }

    [Theory]
    [MemberData(nameof(Blocked))]
    public void Blocks_escape_and_kernel_attack_surface(string syscall)
    {
        Assert.DoesNotContain(Rules("SCMP_ACT_ALLOW"), r => Names(r).Contains(syscall));
        Assert.Contains(Rules("SCMP_ACT_ERRNO"), r => Names(r).Contains(syscall));
    }

    [Fact]
    public void Allows_what_ordinary_programs_need()
    {
        var allowed = Rules("SCMP_ACT_ALLOW").Where(r => !r.TryGetProperty("args", out _)).SelectMany(Names).ToHashSet();
        foreach (var s in new[] { "read", "write", "openat", "close", "mmap", "mprotect", "munmap", "brk", "execve", "futex", "epoll_wait", "epoll_pwait", "socket", "connect", "accept4", "clock_gettime", "rt_sigaction", "exit_group", "getrandom", "statx", "newfstatat", "pipe2", "wait4", "prctl", "arch_prctl", "set_tid_address", "rseq" })
        {
            Assert.Contains(s, allowed);
        }
    }

    [Fact]
    public void Clone_is_allowed_only_without_namespace_flags_and_clone3_falls_back()
    {
        var clone = Assert.Single(Rules("SCMP_ACT_ALLOW"), r => Names(r).Contains("clone"));
        var arg = Assert.Single(clone.GetProperty("args").EnumerateArray());
        Assert.Equal(0, arg.GetProperty("index").GetInt32());
        Assert.Equal("SCMP_CMP_MASKED_EQ", arg.GetProperty("op").GetString());
        Assert.Equal(0, arg.GetProperty("valueTwo").GetInt64());
        Assert.NotEqual(0, arg.GetProperty("value").GetInt64() & CloneNewUser);

        var clone3 = Assert.Single(Rules("SCMP_ACT_ERRNO"), r => Names(r).Contains("clone3"));
        Assert.Equal(38, clone3.GetProperty("errnoRet").GetInt32()); // ENOSYS: libc retries with clone
    }

    [Fact]
    public void Lists_each_syscall_in_one_unconditional_rule_at_most()
    {
        var unconditional = Profile().GetProperty("syscalls").EnumerateArray().Where(r => !r.TryGetProperty("args", out _)).SelectMany(Names).ToList();
        Assert.Equal(unconditional.Count, unconditional.Distinct().Count());
    }
}
