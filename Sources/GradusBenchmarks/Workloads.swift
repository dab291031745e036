/// Every workload, in the order they run.
let allWorkloads: [Workload] = TrainingWorkloads.all + FoundationWorkloads.all + SequenceWorkloads.all + ModuleWorkloads.all
    + MixedPrecisionWorkloads.all + ConvolutionWorkloads.all
