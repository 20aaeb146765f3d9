using k8s;
using k8s.Models;
using SandboxOperator.Policy.Api;

namespace SandboxOperator.ClusterTests;

/// <summary>Steps both K3s tests take: install the generated CRD, and wait for eventually consistent state.</summary>
internal static class ClusterSteps
{
    /// <summary>Creates the AgentWorkload and SandboxException CRDs from <see cref="CrdGenerator"/> and waits until they are Established.</summary>
    public static async Task InstallCrdAsync(Kubernetes client)
    {
        foreach (var yaml in new[] { CrdGenerator.GenerateYaml(), CrdGenerator.GenerateExceptionYaml() })
        {
            var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(yaml);
            await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
            await WaitAsync(async () => (await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name)).Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true,
                $"the CRD {crd.Metadata.Name} is established");
        }
    }

    /// <summary>Polls <paramref name="condition"/> for up to 90 s, failing with <paramref name="what"/>.</summary>
    public static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(250);
        }
    }
}
