namespace SandboxOperator.ControlPlaneTests.Support;

/// <summary>The tests that share one control plane with one operator replica.</summary>
[CollectionDefinition(Name)]
public sealed class OperatorClusterCollection : ICollectionFixture<OperatorCluster>
{
    public const string Name = "operator cluster";
}
