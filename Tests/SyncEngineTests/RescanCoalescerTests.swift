import Testing

@testable import SyncEngine

@Suite struct RescanCoalescerTests {
    func p(_ s: String) -> RelativePath { RelativePath(s)! }

    @Test func waitsForQuietThenCoversAllHintsWithOutermostFolders() {
        // (A settle as long as the debounce: every request waits for the folder to be quiet.)
        var c = RescanCoalescer(debounce: .milliseconds(300), settle: .milliseconds(300), maxDelay: .seconds(3))
        #expect(c.deadline == nil)
        c.changed(under: p("docs/a"), at: .milliseconds(0))
        c.changed(under: p("docs"), at: .milliseconds(100))
        c.changed(under: p("docs/a/b"), at: .milliseconds(200))
        c.changed(under: p("music"), at: .milliseconds(250))
        #expect(c.take(at: .milliseconds(500)) == nil, "still within the debounce of the last hint")
        #expect(c.deadline == .milliseconds(550))
        #expect(c.take(at: .milliseconds(550)) == .subtrees([p("docs"), p("music")]))
        #expect(c.deadline == nil && c.take(at: .seconds(10)) == nil, "hints are cleared once taken")
    }

    @Test func aServerChangeIsDueAtOnceAndRescansNothingLocally() {
        var c = RescanCoalescer(debounce: .milliseconds(300), maxDelay: .seconds(3))
        c.remoteChanged(at: .seconds(1))
        #expect(c.take(at: .seconds(1)) == .subtrees([]), "the remote side is looked at with no local rescan, without waiting")
        // With local hints pending, the request waits for them and covers them.
        c.changed(under: p("docs"), at: .seconds(2))
        c.remoteChanged(at: .seconds(2))
        #expect(c.take(at: .seconds(2)) == nil)
        #expect(c.take(at: .milliseconds(2300)) == .subtrees([p("docs")]))
    }

    @Test func aBusyFolderIsStillRescannedWithinMaxDelay() {
        var c = RescanCoalescer(debounce: .milliseconds(300), maxDelay: .seconds(2))
        var now = Duration.zero
        var requests: [Duration] = []
        while requests.count < 2 && now < .seconds(10) {
            c.changed(under: p("log"), at: now)  // a write every 100 ms, never quiet
            now += .milliseconds(100)
            if c.take(at: now) == .subtrees([p("log")]) { requests.append(now) }
        }
        // The first write of the quiet folder goes at once; then the folder is busy, and the
        // next request comes when the writes have gone on for maxDelay.
        #expect(requests == [.milliseconds(100), .milliseconds(2100)])
    }

    /// A single change to a quiet folder goes up in milliseconds, not after a debounce; an
    /// editor's save (a few events within milliseconds) is still one request; a change soon
    /// after is batched with what follows.
    @Test func aQuietFoldersFirstChangeGoesAtOnceAndABurstStillBatches() {
        var c = RescanCoalescer(debounce: .milliseconds(300), settle: .milliseconds(20), maxDelay: .seconds(3))
        c.changed(under: p("docs"), at: .milliseconds(1000))
        #expect(c.deadline == .milliseconds(1020))
        c.changed(under: p("docs"), at: .milliseconds(1004))  // the save's rename, a moment later
        c.changed(under: p("docs/sub"), at: .milliseconds(1010))
        #expect(c.take(at: .milliseconds(1029)) == nil)
        #expect(c.take(at: .milliseconds(1030)) == .subtrees([p("docs")]))

        c.changed(under: p("music"), at: .milliseconds(1100))  // 90 ms after the last: busy
        #expect(c.deadline == .milliseconds(1400))
        #expect(c.take(at: .milliseconds(1399)) == nil && c.take(at: .milliseconds(1400)) == .subtrees([p("music")]))

        c.remoteChanged(at: .milliseconds(1500))  // the server's news does not make the folder busy
        #expect(c.take(at: .milliseconds(1500)) == .subtrees([]))
        c.changed(under: p("notes"), at: .milliseconds(2500))  // quiet for a second again
        #expect(c.deadline == .milliseconds(2520))
    }

    /// After a quiet spell, a change the kernel says is complete (a file closed after writing, a
    /// rename's arrival) waits only 5 ms for company; a file still being written waits 20 ms from
    /// its latest event; a busy folder waits for quiet whatever the events say.
    @Test func aFinishedChangeToAQuietFolderWaitsLessThanOneStillBeingWritten() {
        var c = RescanCoalescer(debounce: .milliseconds(300), settle: .milliseconds(20), settleFinished: .milliseconds(5), maxDelay: .seconds(3))
        c.changed(under: p("a.txt"), at: .milliseconds(1000))  // created, being written
        #expect(c.deadline == .milliseconds(1020))
        c.changed(under: p("a.txt"), at: .milliseconds(1001), finished: true)  // closed
        #expect(c.deadline == .milliseconds(1006))
        #expect(c.take(at: .milliseconds(1005)) == nil)
        #expect(c.take(at: .milliseconds(1006)) == .subtrees([p("a.txt")]))

        c.changed(under: p("b.txt"), at: .milliseconds(2000), finished: true)
        c.changed(under: p("b.txt"), at: .milliseconds(2003))  // opened for writing again
        #expect(c.deadline == .milliseconds(2023), "the writer may not be done")
        #expect(c.take(at: .milliseconds(2023)) == .subtrees([p("b.txt")]))

        c.changed(under: p("c.txt"), at: .milliseconds(2100), finished: true)  // 97 ms after b.txt's last event: busy
        #expect(c.deadline == .milliseconds(2400))
        #expect(c.take(at: .milliseconds(2400)) == .subtrees([p("c.txt")]))

        // One file closed does not cut short the wait for another still being written.
        c.changed(under: p("big.log"), at: .milliseconds(3000))
        c.changed(under: p("small.txt"), at: .milliseconds(3001), finished: true)
        #expect(c.deadline == .milliseconds(3021), "big.log may still be open")
        c.changed(under: p("big.log"), at: .milliseconds(3010), finished: true)
        #expect(c.deadline == .milliseconds(3015), "both closed")
        #expect(c.take(at: .milliseconds(3015)) == .subtrees([p("big.log"), p("small.txt")]))

        // Lost events are never "finished".
        c.overflowed(at: .milliseconds(4000))
        c.changed(under: p("d.txt"), at: .milliseconds(4001), finished: true)
        #expect(c.deadline == .milliseconds(4021))
        #expect(c.take(at: .milliseconds(4021)) == .root)
    }

    @Test func overflowAndTooManyFoldersMeanTheRoot() {
        var c = RescanCoalescer(debounce: .milliseconds(10), maxFolders: 3)
        c.changed(under: p("a"), at: .zero)
        c.overflowed(at: .zero)
        #expect(c.take(at: .seconds(1)) == .root)
        for name in ["a", "b", "c", "d"] { c.changed(under: p(name), at: .zero) }
        #expect(c.take(at: .seconds(1)) == .root)
        c.changed(under: nil, at: .zero)
        #expect(c.take(at: .seconds(1)) == .root)
    }

    @Test func siblingNamesAreNotMistakenForNesting() {
        var c = RescanCoalescer(debounce: .zero)
        c.changed(under: p("a"), at: .zero)
        c.changed(under: p("a b"), at: .zero)
        c.changed(under: p("ab/c"), at: .zero)
        #expect(c.take(at: .zero) == .subtrees([p("a"), p("a b"), p("ab/c")]))
    }
}
