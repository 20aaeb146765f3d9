// One control plane at a time: each is etcd, an API server, a controller manager, a scheduler and the
// operator, and the machines this runs on may have two cores shared with the other test assemblies.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
