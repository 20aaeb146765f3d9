using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(SandboxOperator.Benchmarks.PolicyDecisionBenchmark).Assembly).Run(args);
