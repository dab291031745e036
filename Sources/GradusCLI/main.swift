import Gradus
import GradusCommands

BLASKernel.relaunchWithFasterKernelIfNeeded()
GradusCommand.main()
