import Foundation
import Gradus
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A narrow basin in 2-D: a log-scale "learning rate" with its optimum at 10^-2.6 and a uniform
/// parameter with its optimum at 0.31; the minimum is 0.
private func basin(_ p: [String: TrialValue]) -> Double {
    let a = log10(p["lr"]!.number!) + 2.6, x = p["x"]!.number! - 0.31
    return a * a / 4 + x * x
}

private let basinSpace = try! SearchSpace([.init(name: "lr", parameter: .logUniform(1e-5, 1)),
                                           .init(name: "x", parameter: .uniform(0, 1))])

/// The best value a sampler finds in `budget` trials of `basin` (each trial one "epoch").
private func bestFound(_ sampler: any Sampler, seed: UInt64, budget: Int) throws -> Double {
    var trials: [Trial] = []
    for n in 0..<budget {
        let p = try sampler.sample(basinSpace, number: n, history: trials, direction: .minimize, seed: seed)
        let v = basin(p)
        trials.append(Trial(number: n, parameters: p, state: .complete, scores: [v]))
    }
    return trials.compactMap(\.score).min()!
}

private func median(_ values: [Double]) -> Double { MedianPruner.median(values)! }

/// A finished trial with the given per-epoch scores.
private func done(_ number: Int, _ scores: [Double], _ state: Trial.State = .complete) -> Trial {
    Trial(number: number, parameters: [:], state: state, scores: scores)
}

/// A running trial with the given per-epoch scores.
private func running(_ number: Int, _ scores: [Double]) -> Trial {
    Trial(number: number, parameters: [:], state: .running, scores: scores)
}

@Suite("Samplers")
struct SamplerTests {
    @Test("TPE finds the basin of a synthetic objective better than random search (30 seeds × 60 trials, sign test)")
    func tpeBeatsRandom() throws {
        var tpe: [Double] = [], random: [Double] = []
        for seed in UInt64(0)..<30 {
            tpe.append(try bestFound(TPESampler(), seed: seed, budget: 60))
            random.append(try bestFound(RandomSampler(), seed: seed, budget: 60))
        }
        let wins = zip(tpe, random).filter { $0 < $1 }.count
        // Under the null hypothesis (neither is better) wins ~ Binomial(30, ½): P(wins ≥ 20) = 0.049.
        #expect(wins >= 20, "TPE beat random search in only \(wins) of 30 studies")
        #expect(median(tpe) < median(random), "median best: TPE \(median(tpe)), random \(median(random))")
    }

    @Test("a seed makes every sampler reproducible; another seed changes the proposals")
    func reproducible() throws {
        let history = (0..<12).map { n in
            Trial(number: n, parameters: RandomSampler().sample(basinSpace, number: n, history: [], direction: .minimize, seed: 5),
                  state: .complete, scores: [Double(n % 5)])
        }
        for sampler in [RandomSampler(), TPESampler(), GridSampler(pointsPerDimension: 4)] as [any Sampler] {
            let a = try sampler.sample(basinSpace, number: 12, history: history, direction: .minimize, seed: 9)
            let b = try sampler.sample(basinSpace, number: 12, history: history, direction: .minimize, seed: 9)
            #expect(a == b)
            let others = try (10..<15).map { try sampler.sample(basinSpace, number: 12, history: history, direction: .minimize, seed: UInt64($0)) }
            #expect(others.contains { $0 != a })
            #expect(try basinSpace.normalize(a) == a)
        }
    }

    @Test("TPE splits finished trials into the best γ(n) = min(⌈n/10⌉, 25) and the rest; pruned ones rank after complete ones")
    func tpeSplit() {
        #expect(TPESampler.gamma(1) == 1 && TPESampler.gamma(10) == 1 && TPESampler.gamma(11) == 2 && TPESampler.gamma(1000) == 25)
        #expect(TPESampler.weights(3) == [1, 1, 1])
        let w = TPESampler.weights(30)
        #expect(w.count == 30 && abs(w[0] - 1.0 / 30) < 1e-12 && w[4] == 1 && w[29] == 1)
        var trials = (0..<20).map { done($0, [Double($0)]) }
        trials.append(done(20, [100, 100], .pruned))
        trials.append(running(21, [1000]))
        let (good, bad) = TPESampler.split(trials, direction: .maximize)
        // 21 finished trials: γ = 3; the running trial is left out; the pruned one (score 100) ranks after
        // every complete one.
        #expect(good.map(\.number) == [17, 18, 19])
        #expect(bad.count == 18 && bad.first?.number == 0 && bad.last?.number == 20)
        #expect(TPESampler.split(trials, direction: .minimize).good.map(\.number) == [0, 1, 2])
    }

    @Test("TPE samples the parameters together (Optuna 5's default): good configurations on the diagonal x = y, bad ones on x = 1 − y")
    func tpeMultivariate() throws {
        // Both groups cover [0, 1] evenly in x and in y, so only the joint distribution tells them apart:
        // one estimator per parameter (Optuna 4's default) proposes x and y independently, about
        // 28% of its proposals landing within 0.15 of the diagonal; the joint estimator proposes near it.
        let space = try SearchSpace.parse(["x=uniform:0:1", "y=uniform:0:1"])
        var history: [Trial] = []
        for i in 0..<100 {
            let good = i % 10 == 0
            let t = good ? (Double(i / 10) + 0.5) / 10 : (Double(i) * 0.618_033_988_75).truncatingRemainder(dividingBy: 1)
            history.append(Trial(number: i, parameters: ["x": .double(t), "y": .double(good ? t : 1 - t)],
                                 state: .complete, scores: [good ? 1 : 0]))
        }
        func nearDiagonal(_ sampler: TPESampler) throws -> Int {
            try (UInt64(0)..<40).filter { seed in
                let p = try sampler.sample(space, number: 100, history: history, direction: .maximize, seed: seed)
                return abs(p["x"]!.number! - p["y"]!.number!) < 0.15
            }.count
        }
        let joint = try nearDiagonal(TPESampler())
        let independent = try nearDiagonal(TPESampler(multivariate: false))
        #expect(joint >= 30, "the default TPE proposed only \(joint) of 40 configurations near the good diagonal")
        #expect(independent <= 20, "the independent TPE proposed \(independent) of 40 near the diagonal")
    }

    @Test("the multivariate estimator's bandwidths and log densities are Optuna 5.1's (computed by optuna.samplers._tpe)")
    func tpeMatchesOptuna() throws {
        let space = try SearchSpace.parse(["lr=loguniform:1e-4:1e-1", "x=uniform:0:1", "e=int:3:10", "b=choice:16,32,64"])
        let observed: [[String: TrialValue]] = [
            ["lr": .double(1e-3), "x": .double(0.2), "e": .int(3), "b": .string("16")],
            ["lr": .double(3e-2), "x": .double(0.3), "e": .int(7), "b": .string("64")],
            ["lr": .double(2e-4), "x": .double(0.9), "e": .int(10), "b": .string("32")],
            ["lr": .double(5e-3), "x": .double(0.25), "e": .int(4), "b": .string("16")],
        ]
        func close(_ a: [Double], _ b: [Double]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 } }
        // _ParzenEstimator(...)._mixture_distribution.distributions[i].sigma without the prior's.
        #expect(close(TPESampler.bandwidths([0.2, 0.3, 0.9, 0.25], low: 0, high: 1), [1.0 / 6, 0.6, 0.6, 1.0 / 6]))
        #expect(close(TPESampler.bandwidths([1e-3, 3e-2, 2e-4, 5e-3].map { log($0) }, low: log(1e-4), high: log(0.1)),
                      [1.60943791, 1.79175947, 1.60943791, 1.79175947]))
        #expect(close(TPESampler.bandwidths([3, 7, 10, 4], low: 2.5, high: 10.5), [4.0 / 3, 3, 3, 3]))
        #expect(close(TPESampler.bandwidths([0.2, 0.3, 0.9], low: 0, high: 1), [0.2, 0.6, 0.6]))
        // _ParzenEstimator(...).log_pdf(...) at three configurations.
        let points: [[String: TrialValue]] = [
            ["lr": .double(1e-3), "x": .double(0.22), "e": .int(4), "b": .string("16")],
            ["lr": .double(0.05), "x": .double(0.5), "e": .int(9), "b": .string("32")],
            ["lr": .double(1e-4), "x": .double(0.99), "e": .int(3), "b": .string("64")],
        ]
        let densities = points.map { TPESampler.logDensity($0, observations: observed, space: space) }
        #expect(close(densities, [-2.98130196, -6.04303705, -6.76023882]), "\(densities)")
    }

    @Test("a journal written before the multivariate sampler resumes with the independent one; new studies are multivariate")
    func tpeSpecCompatibility() throws {
        let old = try JSONDecoder().decode(SamplerSpec.self, from: Data(#"{"tpe":{"startupTrials":10,"candidates":24}}"#.utf8))
        #expect(old == .tpe(startupTrials: 10, candidates: 24, multivariate: nil))
        #expect((old.make() as? TPESampler)?.multivariate == false)
        #expect((SamplerSpec.tpe().make() as? TPESampler)?.multivariate == true)
        let text = String(decoding: try JSONEncoder().encode(SamplerSpec.tpe()), as: UTF8.self)
        #expect(text.contains(#""multivariate":true"#), "\(text)")
        #expect(try JSONDecoder().decode(SamplerSpec.self, from: Data(text.utf8)) == .tpe())
    }

    @Test("the grid is the Cartesian product of choices and evenly spaced points, in a seeded order, each point once")
    func grid() throws {
        let space = try SearchSpace([.init(name: "opt", parameter: .categorical(["sgd", "adam", "adamw"])),
                                     .init(name: "lr", parameter: .logUniform(1e-4, 1e-2)),
                                     .init(name: "depth", parameter: .int(1, 2))])
        let grid = GridSampler(pointsPerDimension: 3)
        #expect(grid.values(of: .logUniform(1e-4, 1e-2)).map { $0.number! }.enumerated().allSatisfy { i, v in abs(v - [1e-4, 1e-3, 1e-2][i]) < 1e-12 })
        #expect(grid.values(of: .int(1, 100, log: true)).map(\.number!) == [1, 10, 100])
        #expect(grid.capacity(space) == 18)
        let points = try (0..<18).map { try grid.sample(space, number: $0, history: [], direction: .maximize, seed: 1) }
        #expect(Set(points).count == 18)
        let again = try (0..<18).map { try grid.sample(space, number: $0, history: [], direction: .maximize, seed: 2) }
        #expect(Set(again) == Set(points) && again != points)
        let huge = try SearchSpace((0..<10).map { .init(name: "p\($0)", parameter: .uniform(0, 1)) })
        #expect(throws: TrainingError.self) { try GridSampler(pointsPerDimension: 5).sample(huge, number: 0, history: [], direction: .maximize, seed: 0) }
        // A huge points-per-dimension is refused before the grid's values are built (it used to allocate first).
        let one = try SearchSpace([.init(name: "lr", parameter: .uniform(0, 1))])
        #expect(throws: TrainingError.self) { try GridSampler(pointsPerDimension: Int.max).sample(one, number: 0, history: [], direction: .maximize, seed: 0) }
        #expect(GridSampler(pointsPerDimension: 1 << 40).values(of: .uniform(0, 1)).count == GridSampler.maxPoints)
    }

    @Test("random draws stay inside their distributions")
    func randomBounds() throws {
        let space = try SearchSpace.parse(["a=uniform:-1:1", "b=loguniform:1e-6:1e-2", "c=int:3:10", "d=int:1:1000:log", "e=choice:x,y"])
        for n in 0..<300 {
            let p = RandomSampler().sample(space, number: n, history: [], direction: .maximize, seed: 3)
            #expect(try space.normalize(p) == p)
        }
    }
}

@Suite("Search space")
struct SearchSpaceTests {
    @Test("flag strings parse into distributions")
    func parseFlags() throws {
        let space = try SearchSpace.parse(["lr=loguniform:1e-4:1e-1", "batch-size=choice:16,32,64", "hidden=choice:64|128,64",
                                           "dropout=uniform:0:0.5", "epochs=int:3:10", "depth=int:1:8:log",
                                           "optimizer=choice:sgd,adam", "schedule=choice:none,cosine,onecycle"])
        #expect(space.names == ["lr", "batch-size", "hidden", "dropout", "epochs", "depth", "optimizer", "schedule"])
        #expect(space["lr"] == .logUniform(1e-4, 0.1))
        #expect(space["batch-size"] == .categorical(["16", "32", "64"]))
        #expect(space["hidden"] == .categorical(["64", "128,64"]))
        #expect(space["dropout"] == .uniform(0, 0.5))
        #expect(space["epochs"] == .int(3, 10))
        #expect(space["depth"] == .int(1, 8, log: true))
        #expect(try SearchSpace.parse([space["hidden"].map { "hidden=" + $0.specText }!])["hidden"] == space["hidden"])
    }

    @Test("bad flag strings are errors naming the problem", arguments: [
        ("lr=loguniform:0:1", "positive"), ("lr=loguniform:nan:1", "finite"), ("lr=uniform:1:1", "below"),
        ("lr=uniform:a:1", "not a number"), ("epochs=int:5:2", "must not exceed"), ("epochs=int:1.5:3", "whole number"),
        ("depth=int:0:3:log", "at least 1"), ("x=choice:a,,b", "empty"), ("x=choice:a,a", "twice"), ("x=beta:1:2", "unknown kind"),
        ("lr", "NAME=SPEC"), ("lr=1e-3", "KIND"), ("lr=uniform:0:inf", "finite"), ("=uniform:0:1", "parameter name"),
    ])
    func badFlags(_ spec: String, _ fragment: String) {
        do {
            _ = try SearchSpace.parse([spec])
            Issue.record("\(spec) was accepted")
        } catch let e as TrainingError {
            #expect(e.message.contains(fragment), "\(e.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("a parameter given twice is an error")
    func duplicate() {
        #expect(throws: TrainingError.self) { try SearchSpace.parse(["lr=uniform:0:1", "lr=uniform:0:2"]) }
        #expect(throws: TrainingError.self) { try SearchSpace.parse([]) }
    }

    @Test("the JSON form: objects or flag strings, numeric choices; it round-trips")
    func json() throws {
        let text = """
        {"parameters": [
          {"name": "lr", "type": "loguniform", "low": 0.0001, "high": 0.1},
          {"name": "epochs", "type": "int", "low": 3, "high": 10, "log": false},
          {"name": "batch-size", "type": "choice", "values": [16, 32, 64]},
          "optimizer=choice:sgd,adam"
        ]}
        """
        let space = try SearchSpace.parse(json: text)
        #expect(space == (try SearchSpace.parse(["lr=loguniform:1e-4:1e-1", "epochs=int:3:10", "batch-size=choice:16,32,64",
                                                 "optimizer=choice:sgd,adam"])))
        #expect(try SearchSpace.parse(json: space.json()) == space)
        #expect(throws: TrainingError.self) { try SearchSpace.parse(json: #"{"parameters": [{"name": "lr", "type": "loguniform", "low": -1, "high": 1}]}"#) }
        #expect(throws: TrainingError.self) { try SearchSpace.parse(json: #"{"parameters": [{"name": "e", "type": "int", "low": 1.5, "high": 3}]}"#) }
        #expect(throws: TrainingError.self) { try SearchSpace.parse(json: #"{"params": []}"#) }
        #expect(throws: TrainingError.self) { try SearchSpace.parse(json: "not json") }
    }

    @Test("values read back from JSON are normalized to their parameter's kind and checked")
    func normalize() throws {
        let space = try SearchSpace.parse(["lr=loguniform:1e-4:1e-1", "epochs=int:3:10", "b=choice:16,32"])
        #expect(try space.normalize(["lr": .double(0.01), "epochs": .double(4), "b": .int(16)])
                == ["lr": .double(0.01), "epochs": .int(4), "b": .string("16")])
        #expect(throws: TrainingError.self) { try space.normalize(["lr": .int(0), "epochs": .int(3), "b": .int(16)]) }
        #expect(throws: TrainingError.self) { try space.normalize(["lr": .double(0.01), "epochs": .int(3)]) }
        #expect(throws: TrainingError.self) { try space.normalize(["lr": .double(0.01), "epochs": .int(3), "b": .int(16), "z": .int(1)]) }
        #expect(throws: TrainingError.self) { try space.normalize(["lr": .double(0.01), "epochs": .double(3.5), "b": .int(16)]) }
        #expect(throws: TrainingError.self) { try space.normalize(["lr": .double(0.01), "epochs": .int(3), "b": .int(17)]) }
    }
}

@Suite("Trial configurations")
struct TrialConfigurationTests {
    @Test("values map onto the run configuration's fields")
    func apply() throws {
        let base = RunConfig()
        let c = try SearchSpace.apply(["lr": .double(0.003), "batch-size": .string("64"), "hidden": .string("64,32"),
                                       "weight-decay": .double(1e-4), "schedule": .string("onecycle"), "epochs": .int(7)], to: base)
        #expect(c.optimizer.learningRate == 0.003 && c.batchSize == 64 && c.model.hidden == [64, 32])
        #expect(c.optimizer.weightDecay == 1e-4 && c.schedule == .onecycle && c.epochs == 7)
        #expect(try SearchSpace.apply(["hidden": .int(32), "depth": .int(3)], to: base).model.hidden == [32, 32, 32])
        #expect(try SearchSpace.apply(["depth": .int(2)], to: base).model.hidden == [128, 128])
        #expect(try SearchSpace.apply(["depth": .int(0)], to: base).model.hidden == [])
        // An optimizer left at its defaults follows the sampled one (as gradus train --optimizer sgd).
        let sgd = try SearchSpace.apply(["optimizer": .string("sgd")], to: base)
        #expect(sgd.optimizer == OptimizerSpec(kind: .sgd, learningRate: 0.05, momentum: 0.9))
        let explicit = try SearchSpace.apply(["optimizer": .string("sgd"), "lr": .double(0.2), "momentum": .double(0.5)], to: base)
        #expect(explicit.optimizer == OptimizerSpec(kind: .sgd, learningRate: 0.2, momentum: 0.5))
    }

    @Test("unknown names and values that do not fit are errors naming them", arguments: [
        (["dropout": TrialValue.double(0.1)], "dropout"), (["learning_rate": .double(0.1), "zeta": .int(1)], "learning_rate, zeta"),
        (["lr": .double(0)], "lr"), (["lr": .double(.nan)], "lr"), (["batch-size": .int(0)], "batch-size"),
        (["epochs": .double(2.5)], "epochs"), (["momentum": .double(1)], "momentum"), (["optimizer": .string("lbfgs")], "lbfgs"),
        (["schedule": .string("linear")], "linear"), (["hidden": .string("64,x")], "hidden"), (["weight-decay": .double(-1)], "weight-decay"),
        (["hidden": .string("64,32"), "depth": .int(2)], "single hidden width"), (["depth": .int(65)], "depth"),
    ])
    func rejects(_ values: [String: TrialValue], _ fragment: String) {
        do {
            _ = try SearchSpace.apply(values, to: RunConfig())
            Issue.record("\(values) was accepted")
        } catch let e as TrainingError {
            #expect(e.message.contains(fragment), "\(e.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test("a study checks its whole space against the base configuration before any trial")
    func checkApplicable() throws {
        #expect(throws: TrainingError.self) {
            try SearchSpace.parse(["optimizer=choice:sgd,lbfgs"]).checkApplicable(to: RunConfig())
        }
        #expect(throws: TrainingError.self) {
            try SearchSpace.parse(["hidden=choice:64,32|16", "depth=int:1:3"]).checkApplicable(to: RunConfig())
        }
        var lenet = RunConfig()
        lenet.model.architecture = .lenet
        #expect(throws: TrainingError.self) { try SearchSpace.parse(["hidden=choice:64,128"]).checkApplicable(to: lenet) }
        try SearchSpace.parse(["lr=loguniform:1e-4:1e-1", "hidden=choice:64,128", "depth=int:1:3"]).checkApplicable(to: RunConfig())
    }

    @Test("the reproducing command line quotes what a shell needs")
    func commandLine() {
        var c = RunConfig()
        c.data = DataSpec(format: .csv, path: "/tmp/my data.csv", target: "label", standardize: true)
        c.model.hidden = []
        let text = TrainCommandLine.text(for: c)
        #expect(text.hasPrefix("gradus train --data '/tmp/my data.csv' --format csv --target label"))
        #expect(text.contains("--hidden '' ") && text.contains("--lr 0.002 ") && text.contains("--split-seed") == false)
        #expect(TrainCommandLine.quote("it's") == #"'it'\''s'"#)
    }
}

@Suite("Pruners")
struct PrunerTests {
    /// Five completed trials whose epoch-2 scores are 0.5 ... 0.9 (median 0.7).
    let completed = [0.5, 0.6, 0.7, 0.8, 0.9].enumerated().map { done($0.offset, [0.3, $0.element, 0.95]) }

    @Test("the median rule prunes the trials Optuna's MedianPruner(n_startup_trials=5, n_warmup_steps=2) pruned, at the same epochs, on its recorded studies")
    func medianAsOptuna() {
        // scripts/optuna_reference.py --mnist --trials 12 --epochs 3 --seeds 0 1 2 (Optuna 5.1): for each trial,
        // whether Optuna pruned it and its reported validation accuracies (a pruned trial stops at its last one).
        let studies: [[(pruned: Bool, scores: [Double])]] = [
            // seed 0
            [
                (false, [0.945, 0.9626666666666667, 0.97125]),
                (false, [0.8969166666666667, 0.9300833333333334, 0.9426666666666667]),
                (false, [0.9026666666666666, 0.9165, 0.92]),
                (false, [0.9335, 0.9464166666666667, 0.9614166666666667]),
                (false, [0.9545, 0.9685833333333334, 0.9775833333333334]),
                (false, [0.94325, 0.9633333333333334, 0.9721666666666666]),
                (false, [0.9491666666666667, 0.9619166666666666, 0.97425]),
                (false, [0.9516666666666667, 0.9699166666666666, 0.9746666666666667]),
                (false, [0.9515833333333333, 0.966, 0.9765833333333334]),
                (true, [0.9205, 0.9391666666666667]),
                (true, [0.9309166666666666, 0.9465]),
                (true, [0.85025, 0.8715833333333334]),
            ],
            // seed 1
            [
                (false, [0.9351666666666667, 0.95225, 0.9604166666666667]),
                (false, [0.9333333333333333, 0.9505, 0.959]),
                (false, [0.878, 0.89725, 0.9010833333333333]),
                (false, [0.5589166666666666, 0.6530833333333333, 0.7240833333333333]),
                (false, [0.91975, 0.9386666666666666, 0.942]),
                (false, [0.9361666666666667, 0.9585, 0.9644166666666667]),
                (false, [0.9340833333333334, 0.956, 0.9606666666666667]),
                (true, [0.91325, 0.92825]),
                (false, [0.9595833333333333, 0.9689166666666666, 0.9798333333333333]),
                (false, [0.9549166666666666, 0.9705, 0.9771666666666666]),
                (false, [0.95, 0.9526666666666667, 0.967]),
                (true, [0.9016666666666666, 0.9360833333333334]),
            ],
            // seed 2
            [
                (false, [0.9554166666666667, 0.97125, 0.97625]),
                (false, [0.9520833333333333, 0.959, 0.9731666666666666]),
                (false, [0.931, 0.947, 0.95075]),
                (false, [0.907, 0.91825, 0.9213333333333333]),
                (false, [0.9366666666666666, 0.9508333333333333, 0.955]),
                (false, [0.9426666666666667, 0.9551666666666667, 0.9623333333333334]),
                (true, [0.8323333333333334, 0.9025833333333333]),
                (true, [0.5385833333333333, 0.5566666666666666]),
                (false, [0.9416666666666667, 0.955, 0.96025]),
                (true, [0.9226666666666666, 0.9360833333333334]),
                (false, [0.9451666666666667, 0.9553333333333334, 0.9726666666666667]),
                (false, [0.9561666666666667, 0.9618333333333333, 0.9734166666666667]),
            ],
        ]
        let rule = MedianPruner(startupTrials: 5, warmupEpochs: 1)
        for (s, study) in studies.enumerated() {
            var finished: [Trial] = []
            for (n, recorded) in study.enumerated() {
                var trial = Trial(number: n, parameters: [:], state: .running, scores: [])
                var pruned = false
                for score in recorded.scores {
                    trial.scores.append(score)
                    if rule.shouldPrune(trial, others: finished, direction: .maximize) { pruned = true; break }
                }
                #expect(pruned == recorded.pruned && trial.scores.count == recorded.scores.count,
                        "seed \(s), trial \(n): pruned \(pruned) after \(trial.scores.count) epochs; Optuna: \(recorded.pruned) after \(recorded.scores.count)")
                trial.state = pruned ? .pruned : .complete
                finished.append(trial)
            }
        }
    }


    @Test("median rule: prune when the best score so far is below the median of completed trials at that epoch")
    func median() {
        let rule = MedianPruner()   // 5 startup trials, 1 warm-up epoch
        #expect(rule.shouldPrune(running(9, [0.65, 0.66]), others: completed, direction: .maximize))
        #expect(!rule.shouldPrune(running(9, [0.65, 0.70]), others: completed, direction: .maximize))   // equal to the median
        #expect(!rule.shouldPrune(running(9, [0.72, 0.60]), others: completed, direction: .maximize))   // best so far 0.72
        #expect(!rule.shouldPrune(running(9, [0.01]), others: completed, direction: .maximize))          // warm-up epoch
        #expect(!rule.shouldPrune(running(9, [0.1, 0.1]), others: Array(completed.prefix(4)), direction: .maximize))   // 4 < 5 completed
        // Pruned, failed and running trials do not count toward the median or the start-up.
        let noise = [done(20, [0.99, 0.99], .pruned), done(21, [0.99, 0.99], .failed), running(22, [0.99, 0.99])]
        #expect(rule.shouldPrune(running(9, [0.65, 0.66]), others: completed + noise, direction: .maximize))
        #expect(!rule.shouldPrune(running(9, [0.1, 0.1]), others: Array(completed.prefix(4)) + noise, direction: .maximize))
        // No completed trial reached the epoch: no decision.
        #expect(!rule.shouldPrune(running(9, [0.1, 0.1, 0.1, 0.1]), others: completed, direction: .maximize))
        // Minimizing: the mirror image, with a median of an even count.
        let losses = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0].enumerated().map { done($0.offset, [2, $0.element]) }   // median 0.75
        #expect(rule.shouldPrune(running(9, [1.0, 0.76]), others: losses, direction: .minimize))
        #expect(!rule.shouldPrune(running(9, [1.0, 0.74]), others: losses, direction: .minimize))
        // A trial without a finite score is pruned once a decision is possible.
        #expect(rule.shouldPrune(running(9, [.nan, .nan]), others: losses, direction: .minimize))
        #expect(MedianPruner(startupTrials: 0, warmupEpochs: 0).shouldPrune(running(9, [0.1]), others: completed, direction: .maximize))
        #expect(MedianPruner.median([3, 1, 2, 10]) == 2.5 && MedianPruner.median([3, 1, 2]) == 2 && MedianPruner.median([]) == nil)
    }

    @Test("ASHA: rungs at r·η^k; at a rung go on only in the top ⌊n/η⌋ (the best while n < η)")
    func asha() {
        let asha = ASHAPruner(minEpochs: 1, reductionFactor: 3)
        #expect(asha.rungs(upTo: 30) == [1, 3, 9, 27])
        #expect(ASHAPruner(minEpochs: 2, reductionFactor: 2).rungs(upTo: 20) == [2, 4, 8, 16])
        #expect(ASHAPruner(minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 1).rungs(upTo: 10) == [3, 9])
        #expect(asha.isRung(1) && !asha.isRung(2) && asha.isRung(3) && asha.isRung(9) && !asha.isRung(0))
        // The first trial at a rung goes on.
        #expect(!asha.shouldPrune(running(0, [0.1]), others: [], direction: .maximize))
        // Two scores (n < η): only the best goes on.
        #expect(asha.shouldPrune(running(1, [0.4]), others: [done(0, [0.5])], direction: .maximize))
        #expect(!asha.shouldPrune(running(1, [0.5]), others: [done(0, [0.5])], direction: .maximize))   // ties go on
        // Others' epoch-1 scores 0.9, 0.5, 0.7, 0.6 (any state) and this trial's: n = 5, ⌊5/3⌋ = 1: only the best goes on.
        let others = [done(0, [0.9, 0.9]), done(1, [0.5], .pruned), done(2, [0.7, 0.7]), running(3, [0.6])]
        #expect(!asha.shouldPrune(running(4, [0.95]), others: others, direction: .maximize))
        #expect(asha.shouldPrune(running(4, [0.8]), others: others, direction: .maximize))
        // n = 6, ⌊6/3⌋ = 2: the top two go on.
        let more = others + [done(5, [0.1, 0.1])]
        #expect(!asha.shouldPrune(running(4, [0.8]), others: more, direction: .maximize))
        #expect(asha.shouldPrune(running(4, [0.69]), others: more, direction: .maximize))
        // Between rungs nothing is pruned; at rung 3 only trials that reached epoch 3 compete.
        #expect(!asha.shouldPrune(running(4, [0.95, 0.0]), others: more, direction: .maximize))
        let deep = [done(0, [0.9, 0.9, 0.9]), done(1, [0.5, 0.5, 0.8])]
        #expect(asha.shouldPrune(running(4, [0.95, 0.95, 0.7]), others: deep, direction: .maximize))
        #expect(!asha.shouldPrune(running(4, [0.95, 0.95, 0.91]), others: deep, direction: .maximize))
        // Minimizing: the mirror image; a non-finite score at a rung is pruned.
        let losses = [done(0, [0.2]), done(1, [0.5]), done(2, [0.3]), done(3, [0.4]), done(5, [0.9])]
        #expect(!asha.shouldPrune(running(4, [0.25]), others: losses, direction: .minimize))   // n = 6: the two lowest go on
        #expect(asha.shouldPrune(running(4, [0.35]), others: losses, direction: .minimize))
        #expect(asha.shouldPrune(running(4, [.nan]), others: [], direction: .minimize))
    }
}

/// Studies on three Gaussian blobs (a CSV of 90 rows), small enough to run in a test.
@Suite("Studies", .serialized)
struct StudyTests {
    func base(_ csv: String, epochs: Int = 3) -> RunConfig {
        RunConfig(data: DataSpec(format: .csv, path: csv, target: "label", standardize: true),
                  model: ModelSpec(architecture: .mlp, inputShape: [], hidden: [8], outputs: 0),
                  task: .classify, optimizer: OptimizerSpec(kind: .adam), schedule: .cosine, epochs: epochs, batchSize: 16, seed: 3)
    }

    let space = try! SearchSpace.parse(["lr=loguniform:1e-3:3e-1", "hidden=choice:4,8,16", "batch-size=choice:8,16"])

    func settings(_ csv: String, sampler: SamplerSpec = .tpe(startupTrials: 2), pruner: PrunerSpec = .median(startupTrials: 1),
                  epochs: Int = 3) -> StudySettings {
        StudySettings(space: space, base: base(csv, epochs: epochs), seed: 11, sampler: sampler, pruner: pruner)
    }

    func journalLines(_ dir: String) throws -> [String] {
        try String(contentsOfFile: dir + "/study.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func count(_ lines: [String], _ type: String, trial: Int) -> Int {
        lines.filter { $0.contains("\"type\":\"\(type)\"") && $0.contains("\"trial\":\(trial),") }.count
    }

    @Test("a study writes its journal, results, plot, best checkpoint and command; only the retraining sees the test set, once")
    func study() throws {
        let dir = try temporaryFolder("study")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeBlobsCSV(to: dir + "/blobs.csv")
        let tuner = try Tuner(settings: settings(dir + "/blobs.csv"), directory: dir + "/study")
        var runs: [(Tuner.RunRole, String, Double?)] = []
        tuner.onEvent = { event in
            if case .runCreated(let run, let role) = event {
                runs.append((role, run.data.source, run.config.data.validationFraction))
            }
        }
        let result = try tuner.run(trials: 6)
        #expect(result.trials.count == 6 && result.trials.allSatisfy { $0.state.isFinished })
        // Trials train and score on the validation split; one run, the best's retraining, uses the test part.
        #expect(runs.count == 7)
        #expect(runs.prefix(6).allSatisfy { if case .trial = $0.0 { return $0.1.hasSuffix("(validation split)") && $0.2 == 0.2 } else { return false } })
        #expect(runs[6].0 == .best && !runs[6].1.contains("validation") && runs[6].2 == nil)
        let lines = try journalLines(dir + "/study")
        #expect(lines.filter { $0.contains("\"type\":\"test\"") }.count == 1)
        #expect(lines.first?.contains("\"type\":\"study\"") == true)
        let best = try #require(result.best)
        #expect(result.trials.filter { $0.state == .complete }.allSatisfy { ($0.score ?? -1) <= best.score! })
        #expect(result.test?.trial == best.number && result.test?.count == 18)
        #expect(result.bestConfig?.data.validationFraction == nil)
        // Outputs.
        let csv = try String(contentsOfFile: dir + "/study/results.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 7 && csv[0] == "trial,state,lr,hidden,batch-size,score,best_score,epochs,seconds")
        let svg = try String(contentsOfFile: dir + "/study/study.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.contains("</svg>") && svg.contains("best so far"))
        #expect(FileManager.default.fileExists(atPath: dir + "/study/best/checkpoint.safetensors"))
        #expect(FileManager.default.fileExists(atPath: dir + "/study/trials/0005/checkpoint.safetensors"))
        let command = try String(contentsOfFile: dir + "/study/best/command.txt", encoding: .utf8)
        #expect(command == result.command! + "\n" && command.hasPrefix("gradus train "))
        let saved = try Checkpoint.load(dir + "/study/best/checkpoint.safetensors")
        #expect(try RunConfig.decode(json: saved.metadata["config"]!).data.validationFraction == nil)

        // A finished study gives its recorded result without training again, and refuses more trials.
        let again = try Tuner(resuming: dir + "/study")
        var more = 0
        again.onEvent = { if case .runCreated = $0 { more += 1 } }
        #expect(try again.run(trials: 6).test == result.test)
        #expect(more == 0)
        #expect(throws: TrainingError.self) { try again.run(trials: 7) }
        #expect(try journalLines(dir + "/study").filter { $0.contains("\"type\":\"test\"") }.count == 1)
        // A folder holding a study cannot start another.
        #expect(throws: TrainingError.self) { try Tuner(settings: settings(dir + "/blobs.csv"), directory: dir + "/study") }
    }

    @Test("a study killed during a trial resumes: no trial lost, none run twice to completion, the same values as uninterrupted")
    func resumeAfterKill() throws {
        let dir = try temporaryFolder("resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeBlobsCSV(to: dir + "/blobs.csv")
        let full = try Tuner(settings: settings(dir + "/blobs.csv"), directory: dir + "/full").run(trials: 6)

        // The kill: the journal ends after trial 3 started, with half a line being written.
        let lines = try journalLines(dir + "/full")
        let cut = try #require(lines.firstIndex { $0.contains("\"type\":\"started\"") && $0.contains("\"trial\":3,") })
        try FileManager.default.createDirectory(atPath: dir + "/killed", withIntermediateDirectories: true)
        try (lines[...cut].joined(separator: "\n") + "\n{\"epoch\":1,\"sco").write(toFile: dir + "/killed/study.jsonl", atomically: true, encoding: .utf8)

        let tuner = try Tuner(resuming: dir + "/killed")
        #expect(tuner.trials.count == 4 && tuner.trials.prefix(3).allSatisfy { $0.state.isFinished } && tuner.trials[3].state == .running)
        #expect(tuner.trials.prefix(3).map(\.parameters) == full.trials.prefix(3).map(\.parameters))
        #expect(tuner.trials.prefix(3).map(\.scores) == full.trials.prefix(3).map(\.scores))
        var started: [Int] = []
        tuner.onEvent = { if case .trialStarted(let t) = $0 { started.append(t.number) } }
        let resumed = try tuner.run(trials: 6)
        #expect(started == [3, 4, 5])
        #expect(resumed.trials.map(\.parameters) == full.trials.map(\.parameters))
        #expect(resumed.trials.map(\.state) == full.trials.map(\.state))
        #expect(resumed.best?.number == full.best?.number)
        let after = try journalLines(dir + "/killed")
        for n in 0..<6 {
            #expect(count(after, "finished", trial: n) == 1, "trial \(n)")
            #expect(count(after, "started", trial: n) == (n == 3 ? 2 : 1), "trial \(n)")
        }
    }

    @Test("a stop asked during a trial leaves it unfinished; resuming runs it again")
    func interrupted() throws {
        let dir = try temporaryFolder("stop")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeBlobsCSV(to: dir + "/blobs.csv")
        let tuner = try Tuner(settings: settings(dir + "/blobs.csv", epochs: 4), directory: dir + "/study")
        let request = StopRequest()
        tuner.interruptionRequest = { request.signal }
        tuner.onEvent = { if case .epochScored(let t, _) = $0, t.number == 1 { request.signal = SIGINT } }
        #expect(throws: TrainingInterrupted.self) { try tuner.run(trials: 3) }
        let lines = try journalLines(dir + "/study")
        #expect(count(lines, "started", trial: 1) == 1 && count(lines, "finished", trial: 1) == 0)
        let resumed = try Tuner(resuming: dir + "/study").run(trials: 3)
        #expect(resumed.trials.count == 3 && resumed.trials.allSatisfy { $0.state.isFinished })
        #expect(count(try journalLines(dir + "/study"), "finished", trial: 1) == 1)
    }

    @Test("budgets: the number of trials, each trial's epochs, a grid's size and the time limit")
    func budgets() throws {
        let dir = try temporaryFolder("budget")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeBlobsCSV(to: dir + "/blobs.csv")
        // Trials and epochs: epochs searched per trial, nothing pruned.
        let epochsSpace = try SearchSpace.parse(["lr=loguniform:1e-2:1e-1", "epochs=int:1:3"])
        let r = try Tuner(settings: StudySettings(space: epochsSpace, base: base(dir + "/blobs.csv"), sampler: .random, pruner: .off),
                          directory: dir + "/epochs").run(trials: 5)
        #expect(r.trials.count == 5)
        #expect(r.trials.allSatisfy { $0.state == .complete && $0.epochsRun == $0.parameters["epochs"]?.number.map(Int.init) })
        // A grid stops when exhausted.
        let grid = try SearchSpace.parse(["hidden=choice:4,8"])
        let g = try Tuner(settings: StudySettings(space: grid, base: base(dir + "/blobs.csv", epochs: 1), sampler: .grid(), pruner: .off),
                          directory: dir + "/grid").run(trials: 10)
        #expect(g.trials.count == 2 && Set(g.trials.map { $0.parameters["hidden"]! }) == [.string("4"), .string("8")])
        // Time: a trial that cannot finish in the limit is stopped and recorded as pruned; nothing is tested.
        let slow = try Tuner(settings: settings(dir + "/blobs.csv", sampler: .random, pruner: .off, epochs: 1_000_000),
                             directory: dir + "/slow")
        let began = Date()
        let s = try slow.run(trials: 100, timeLimit: 1)
        #expect(s.stoppedByTimeLimit && s.searchSeconds >= 1 && s.searchSeconds < 4 && Date().timeIntervalSince(began) < 6)
        #expect(s.trials.count == 1 && s.trials[0].state == .pruned && s.trials[0].message?.contains("time limit") == true)
        #expect(s.best == nil && s.test == nil && !FileManager.default.fileExists(atPath: dir + "/slow/best"))
        // Time: no trial starts after the limit.
        let quick = try Tuner(settings: settings(dir + "/blobs.csv", sampler: .random, pruner: .off, epochs: 1), directory: dir + "/quick")
        let q = try quick.run(trials: 100_000, timeLimit: 1)
        #expect(q.stoppedByTimeLimit && q.searchSeconds < 4 && q.trials.count < 100_000 && q.test != nil)
    }

    @Test("bad settings are refused before anything runs")
    func badSettings() throws {
        let dir = try temporaryFolder("bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeBlobsCSV(to: dir + "/blobs.csv")
        var s = settings(dir + "/blobs.csv")
        s.validationFraction = 1
        #expect(throws: TrainingError.self) { try Tuner(settings: s, directory: dir + "/a") }
        s = settings(dir + "/blobs.csv")
        s.space = try SearchSpace.parse(["dropout=uniform:0:0.5"])
        #expect(throws: TrainingError.self) { try Tuner(settings: s, directory: dir + "/b") }
        s = settings(dir + "/blobs.csv", sampler: .tpe(startupTrials: 10, candidates: 0))
        #expect(throws: TrainingError.self) { try Tuner(settings: s, directory: dir + "/c") }
        let tuner = try Tuner(settings: settings(dir + "/blobs.csv"), directory: dir + "/d")
        #expect(throws: TrainingError.self) { try tuner.run(trials: 0) }
        #expect(throws: TrainingError.self) { try tuner.run(trials: 1, timeLimit: .nan) }
        #expect(throws: TrainingError.self) { try Tuner(resuming: dir + "/nothing") }
    }
}
