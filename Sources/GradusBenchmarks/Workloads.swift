/// Every workload, in the order they run.
let allWorkloads: [Workload] = FoundationWorkloads.all
