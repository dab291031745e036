import Synchronization

/// The cache behind ``Module/members()``: one module's discovered members, valid while the global
/// structure epoch stays where it was when they were found.
final class MemberCache: @unchecked Sendable {
    private struct Entry: @unchecked Sendable {
        let epoch: Int
        let members: Module.Members
    }

    private let entry = Locked<Entry?>(nil)

    /// The cached members when they were found at `epoch`.
    func members(at epoch: Int) -> Module.Members? {
        let current = entry.withLock { $0 }
        guard let current, current.epoch == epoch else { return nil }
        return current.members
    }

    /// Remembers `members`, found at `epoch`.
    func store(_ members: Module.Members, at epoch: Int) {
        let new = Entry(epoch: epoch, members: members)
        entry.withLock { $0 = new }
    }
}

extension Module {
    /// Counts changes that can alter any module's members: a ``Parameter`` or ``Buffer`` property that
    /// gets a different tensor or nil. Every cached member list older than the current value is stale.
    static let structureEpoch = Atomic<Int>(0)

    /// Marks every cached member list stale.
    static func structureChanged() { structureEpoch.add(1, ordering: .releasing) }

    /// Which module types have their members cached: those defined in Gradus (their child modules are
    /// constants), decided once per type.
    private static let cachingByType = Locked<[ObjectIdentifier: Bool]>([:])

    static func cachesMembers(of type: Module.Type) -> Bool {
        let key = ObjectIdentifier(type)
        if let known = cachingByType.withLock({ $0[key] }) { return known }
        let builtIn = String(reflecting: type).hasPrefix("Gradus.")
        cachingByType.withLock { $0[key] = builtIn }
        return builtIn
    }
}
