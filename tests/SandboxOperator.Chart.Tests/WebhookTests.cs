using k8s.Models;

namespace SandboxOperator.Chart.Tests;

[Collection(ChartCollection.Name)]
public sealed class WebhookTests(ChartRenderer chart)
{
    private static readonly string[] WorkloadResources =
    [
        "/pods", "/pods/ephemeralcontainers", "/replicationcontrollers",
        "apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets",
        "batch/jobs", "batch/cronjobs",
    ];

    [SkippableFact]
    public void Both_configurations_share_the_fullname_and_call_the_webhook_service_on_their_path()
    {
        var m = chart.Render();
        var mutating = m.One<V1MutatingWebhookConfiguration>();
        var validating = m.One<V1ValidatingWebhookConfiguration>();
        Assert.Equal(ChartRenderer.Fullname, mutating.Metadata.Name);
        Assert.Equal(ChartRenderer.Fullname, validating.Metadata.Name);
        Assert.Equal(m.Arg("--webhook-configuration-name"), mutating.Metadata.Name);

        var service = m.Named<V1Service>(ChartRenderer.Fullname);
        var port = Assert.Single(service.Spec.Ports);
        Assert.Equal("webhook", port.TargetPort.Value);
        Assert.Contains(m.OperatorContainer.Ports, p => p.Name == "webhook" && p.ContainerPort == 9443);
        Assert.Equal(service.Spec.Selector, m.Operator.Spec.Template.Metadata.Labels.Where(l => service.Spec.Selector.ContainsKey(l.Key)).ToDictionary());

        var mutate = Assert.Single(mutating.Webhooks);
        Assert.Equal("mutate.agentsandbox.io", mutate.Name);
        Assert.Equal(["validate.agentsandbox.io", "namespaces.agentsandbox.io"], validating.Webhooks.Select(w => w.Name));
        var validate = validating.Webhooks[0];
        var namespaces = validating.Webhooks[1];
        foreach (var (svc, path) in new[] { (mutate.ClientConfig.Service, "/mutate"), (validate.ClientConfig.Service, "/validate"), (namespaces.ClientConfig.Service, "/validate") })
        {
            Assert.Equal(service.Metadata.Name, svc.Name);
            Assert.Equal(ChartRenderer.ReleaseNamespace, svc.NamespaceProperty);
            Assert.Equal(port.Port, svc.Port);
            Assert.Equal(path, svc.Path);
        }
    }

    [SkippableFact]
    public void Webhooks_have_no_side_effects_take_v1_reviews_and_match_equivalent_versions()
    {
        var m = chart.Render();
        var mutate = Assert.Single(m.One<V1MutatingWebhookConfiguration>().Webhooks);
        var validating = m.One<V1ValidatingWebhookConfiguration>().Webhooks;
        Assert.Equal("None", mutate.SideEffects);
        Assert.Equal(["v1"], mutate.AdmissionReviewVersions);
        Assert.Equal("Equivalent", mutate.MatchPolicy);
        Assert.Equal("IfNeeded", mutate.ReinvocationPolicy);
        Assert.All(validating, validate =>
        {
            Assert.Equal("None", validate.SideEffects);
            Assert.Equal(["v1"], validate.AdmissionReviewVersions);
            Assert.Equal("Equivalent", validate.MatchPolicy);
        });
    }

    [SkippableTheory]
    [InlineData(new string[0], 5, "Fail")]
    [InlineData(new[] { "--set", "webhook.timeoutSeconds=12", "--set", "webhook.failurePolicy=Ignore" }, 12, "Ignore")]
    public void Timeout_and_failure_policy_follow_values(string[] args, int timeout, string failurePolicy)
    {
        var m = chart.Render(args);
        var mutate = Assert.Single(m.One<V1MutatingWebhookConfiguration>().Webhooks);
        Assert.Equal(timeout, mutate.TimeoutSeconds);
        Assert.Equal(failurePolicy, mutate.FailurePolicy);
        Assert.All(m.One<V1ValidatingWebhookConfiguration>().Webhooks, validate =>
        {
            Assert.Equal(timeout, validate.TimeoutSeconds);
            Assert.Equal(failurePolicy, validate.FailurePolicy);
        });
    }

    [SkippableTheory]
    [InlineData("")]
    [InlineData("""
        webhook:
          namespaceSelector:
            matchExpressions:
              - key: team
                operator: In
                values: [agents]
              - key: kubernetes.io/metadata.name
                operator: NotIn
                values: [monitoring]
        """)]
    [InlineData("""
        webhook:
          namespaceSelector:
            matchLabels:
              agentsandbox.io/enforce: "true"
        """)]
    public void Kube_system_and_the_release_namespace_are_always_excluded(string userValues)
    {
        var m = userValues.Length == 0 ? chart.Render() : chart.Render("-f", chart.ValuesFile(userValues));
        var selectors = new[]
        {
            Assert.Single(m.One<V1MutatingWebhookConfiguration>().Webhooks).NamespaceSelector,
            m.One<V1ValidatingWebhookConfiguration>().Webhooks[0].NamespaceSelector,
        };
        foreach (var selector in selectors)
        {
            Assert.Contains(selector.MatchExpressions, e =>
                e.Key == "kubernetes.io/metadata.name" && e.OperatorProperty == "NotIn"
                && e.Values.Contains("kube-system") && e.Values.Contains(ChartRenderer.ReleaseNamespace));
            if (userValues.Contains("team", StringComparison.Ordinal))
            {
                Assert.Contains(selector.MatchExpressions, e => e.Key == "team" && e.OperatorProperty == "In" && e.Values.SequenceEqual(["agents"]));
                Assert.Contains(selector.MatchExpressions, e => e.Key == "kubernetes.io/metadata.name" && e.Values.SequenceEqual(["monitoring"]));
                Assert.Equal(3, selector.MatchExpressions.Count);
            }

            if (userValues.Contains("matchLabels", StringComparison.Ordinal))
            {
                Assert.Equal("true", selector.MatchLabels["agentsandbox.io/enforce"]);
            }
        }
    }

    [SkippableFact]
    public void Pods_ephemeral_containers_pod_controllers_and_bindings_are_checked()
    {
        var m = chart.Render();
        var mutateRules = Assert.Single(m.One<V1MutatingWebhookConfiguration>().Webhooks).Rules;
        var validateRules = m.One<V1ValidatingWebhookConfiguration>().Webhooks[0].Rules;

        Assert.Equal(WorkloadResources.Order(), Covered(mutateRules, "CREATE").Order());
        Assert.Equal(WorkloadResources.Order(), Covered(mutateRules, "UPDATE").Order());
        Assert.Equal(WorkloadResources.Append("/pods/binding").Append("/bindings").Append("agentsandbox.io/agentworkloads").Append("agentsandbox.io/sandboxexceptions").Order(), Covered(validateRules, "CREATE").Order());
        Assert.Equal(WorkloadResources.Append("agentsandbox.io/agentworkloads").Append("agentsandbox.io/sandboxexceptions").Order(), Covered(validateRules, "UPDATE").Order());
        Assert.All(mutateRules.Concat(validateRules), r => Assert.DoesNotContain("*", r.Resources));
        Assert.All(mutateRules.Concat(validateRules), r => Assert.Equal(r.ApiGroups.SequenceEqual(["agentsandbox.io"]) ? ["v1alpha1"] : ["v1"], r.ApiVersions));
    }

    [SkippableTheory]
    [InlineData("")]
    [InlineData("""
        webhook:
          namespaceSelector:
            matchLabels:
              agentsandbox.io/enforce: kata
        """)]
    public void Namespace_labels_are_guarded_on_every_path_whatever_the_namespace_selector(string userValues)
    {
        var m = userValues.Length == 0 ? chart.Render() : chart.Render("-f", chart.ValuesFile(userValues));
        var guard = Assert.Single(m.One<V1ValidatingWebhookConfiguration>().Webhooks, w => w.Name == "namespaces.agentsandbox.io");

        Assert.Equal(["/namespaces"], Covered(guard.Rules, "CREATE"));
        Assert.Equal(["/namespaces", "/namespaces/finalize", "/namespaces/status"], Covered(guard.Rules, "UPDATE").Order());
        Assert.All(guard.Rules, r => Assert.Equal("Cluster", r.Scope));
        Assert.Equal("/validate", guard.ClientConfig.Service.Path);

        // Only names exclude: a label selector would let the labels it guards switch the guard off.
        Assert.Null(guard.NamespaceSelector.MatchLabels);
        var exclusion = Assert.Single(guard.NamespaceSelector.MatchExpressions);
        Assert.Equal(("kubernetes.io/metadata.name", "NotIn"), (exclusion.Key, exclusion.OperatorProperty));
        Assert.Equal(["kube-system", ChartRenderer.ReleaseNamespace], exclusion.Values);
    }

    [SkippableFact]
    public void Excluded_namespaces_are_one_list_for_every_webhook_and_the_policy()
    {
        var m = chart.Render("--set", "webhook.excludedNamespaces={monitoring,kube-system}");
        string[] expected = ["kube-system", "monitoring", ChartRenderer.ReleaseNamespace];
        var webhooks = m.One<V1ValidatingWebhookConfiguration>().Webhooks.Select(w => w.NamespaceSelector)
            .Append(Assert.Single(m.One<V1MutatingWebhookConfiguration>().Webhooks).NamespaceSelector);
        Assert.All(webhooks, selector => Assert.Equal(expected, Assert.Single(selector.MatchExpressions, e => e.Key == "kubernetes.io/metadata.name").Values));

        var (config, errors) = SandboxOperator.Policy.Configuration.PolicyConfigLoader.Load(m.Named<V1ConfigMap>(ChartRenderer.Fullname + "-config").Data["policy.yaml"], "policy.yaml");
        Assert.Empty(errors);
        Assert.Equal(expected.Order(), config!.ExcludedNamespaces.Order());
        Assert.Contains("Never checked: kube-system, monitoring and " + ChartRenderer.ReleaseNamespace + ".", chart.RenderNotes("--set", "webhook.excludedNamespaces={monitoring}"), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Agent_workloads_go_to_the_validating_webhook_only()
    {
        var m = chart.Render();
        var validate = m.One<V1ValidatingWebhookConfiguration>().Webhooks[0];
        var rule = Assert.Single(validate.Rules, r => r.ApiGroups.Contains("agentsandbox.io") && r.Resources.Contains("agentworkloads"));
        Assert.Equal(["agentworkloads"], rule.Resources);
        Assert.Equal(["CREATE", "UPDATE"], rule.Operations);
        Assert.Equal("Namespaced", rule.Scope);
        Assert.DoesNotContain(Assert.Single(m.One<V1MutatingWebhookConfiguration>().Webhooks).Rules, r => r.ApiGroups.Contains("agentsandbox.io"));
    }

    [SkippableFact]
    public void Sandbox_exceptions_are_guarded_on_create_and_update_by_the_validating_webhook()
    {
        var m = chart.Render();
        var rule = Assert.Single(m.One<V1ValidatingWebhookConfiguration>().Webhooks[0].Rules, r => r.Resources.Contains("sandboxexceptions"));
        Assert.Equal(["agentsandbox.io"], rule.ApiGroups);
        Assert.Equal(["sandboxexceptions"], rule.Resources);
        Assert.Equal(["CREATE", "UPDATE"], rule.Operations);
        Assert.Equal("Namespaced", rule.Scope);
        Assert.True(SandboxOperator.Policy.Decisions.AdmissionEvaluator.Covers("agentsandbox.io", "SandboxException"));
    }

    private static IEnumerable<string> Covered(IEnumerable<V1RuleWithOperations> rules, string operation) =>
        rules.Where(r => r.Operations.Contains(operation))
             .SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.Select(res => $"{g}/{res}")));
}
