/// Work over a list with at most a given number of items in flight: the one bounded task-group
/// loop of the package (a file's parts, a pass's transfers, a batch's items).
public enum Concurrently {
    /// Calls `body` on each item, at most `width` at a time, in the items' order, and hands each
    /// output with its item's index to `each` as it finishes (in the order they finish), on the
    /// calling task. `each` returns whether to go on; once it says no, no item is started and
    /// those in flight are cancelled (their outputs are still handed over). Cancelling the
    /// caller cancels the items' tasks; whether to start more then is `each`'s to say.
    public static func forEach<Item: Sendable, Output: Sendable>(
        _ items: [Item],
        width: Int,
        _ body: @escaping @Sendable (Item) async -> Output,
        each: (_ index: Int, _ output: Output) async -> Bool
    ) async {
        await withTaskGroup(of: (Int, Output).self) { group in
            var next = 0
            func start() {
                let index = next
                next += 1
                group.addTask { (index, await body(items[index])) }
            }
            while next < min(items.count, max(1, width)) { start() }
            var starting = true
            while let (index, output) = await group.next() {
                if starting {
                    starting = await each(index, output)
                    if !starting { group.cancelAll() }
                } else {
                    _ = await each(index, output)
                }
                if starting && next < items.count { start() }
            }
        }
    }

    /// `transform` over `items`, at most `width` at a time; the outputs in the items' order.
    public static func map<Item: Sendable, Output: Sendable>(
        _ items: [Item],
        width: Int,
        _ transform: @escaping @Sendable (Item) async -> Output
    ) async -> [Output] {
        var outputs = [Output?](repeating: nil, count: items.count)
        await forEach(items, width: width, transform) { index, output in
            outputs[index] = output
            return true
        }
        return outputs.map { $0! }
    }
}
