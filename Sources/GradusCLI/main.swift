import Gradus
import GradusCommands

BLASKernel.relaunchWithFasterKernelIfNeeded()
// ArgumentParser's `main()`, with the command run inside a `GradusError.catching` scope: a tensor
// operation refused on something read from a file or a flag — which outside a scope stops the program,
// as a library's broken invariant would — ends the command with its message and a non-zero status.
// Nothing is written once an operation has failed (`AtomicFile` refuses to, as do the collectives).
do {
    var command = try GradusCommand.parseAsRoot()
    try GradusError.catching { try command.run() }
} catch {
    GradusCommand.exit(withError: error)
}
