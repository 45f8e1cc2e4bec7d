package dev.alexnet.service.classify;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

import dev.alexnet.service.model.repository.ModelConfig;
import dev.alexnet.service.model.repository.ModelRepository;
import dev.alexnet.service.model.repository.RepositoryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model versions being served, and the live changes to them, as Triton's repository extension
 * has them: load a model (its versions as its policy chooses, each built beside the one it
 * replaces, warmed up, then switched in atomically), unload it (after the requests that hold it
 * are answered), and an index of every version's state with the reason when it is not READY.
 * <p>
 * A request takes a {@link Lease} on the version it resolves to and keeps it until it is
 * answered, so a version replaced or unloaded meanwhile still answers it, and is freed only when
 * the last such request is done: nothing admitted before a switch is refused or lost by it. What
 * fails to load is marked UNAVAILABLE with its reason and logged; it never stops the others.
 * <p>
 * Over 300 lines on purpose: load, unload, poll and the index share one lock and three maps
 * (served versions, states, what each load saw), so they stay together; what needs none of them is
 * apart: the lease protocol ({@link ServedVersion}) and the folder fingerprints ({@link FolderPrints}).
 */
public final class ModelRegistry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);

    /** A version's state, as the repository index reports it. */
    public enum State { READY, LOADING, UNAVAILABLE }

    /** One line of the index: a model version, its state and, unless READY, why. */
    public record Entry(String model, long version, State state, String reason) {
    }

    /** A built model version: its classifier, and what frees its memory. */
    public record Loaded(Classifier classifier, AutoCloseable resources) {
    }

    /** Builds a served version from its folder: reads the weights and labels, checks them, warms the network up. */
    @FunctionalInterface
    public interface Loader {
        Loaded load(String model, ModelRepository.Version version, ModelConfig config) throws Exception;
    }

    /** Told of every load's outcome (the service counts them in its metrics). */
    @FunctionalInterface
    public interface Listener {
        void loaded(String model, long version, boolean success);
    }

    /** A request's hold on a version: the version stays alive until every lease on it is closed. */
    public static final class Lease implements AutoCloseable {
        private final ServedVersion served;
        private boolean open = true;

        Lease(ServedVersion served) {
            this.served = served;
        }

        public Classifier classifier() {
            return served.loaded().classifier();
        }

        /** The model's name as served. */
        public String model() {
            return served.model();
        }

        /** The version's number, as the protocols write it. */
        public String version() {
            return Long.toString(served.version());
        }

        @Override
        public synchronized void close() {
            if (open) {
                open = false;
                served.release();
            }
        }
    }

    private final ModelRepository repository;
    private final Loader loader;
    private final int maxLoaded;
    private final long drainMillis;
    private final String defaultModel;
    private final Map<String, NavigableMap<Long, ServedVersion>> served = new ConcurrentHashMap<>();
    private final Map<String, NavigableMap<Long, Entry>> states = new ConcurrentHashMap<>();
    private volatile Listener listener = (model, version, success) -> { };
    /** Per model, the folder as the last load saw it ({@link FolderPrints#model}): what polling compares against. */
    private final Map<String, String> attempted = new ConcurrentHashMap<>();
    /** One change at a time: loads and unloads are rare, and each must see the others' outcome. */
    private final Object changes = new Object();

    /**
     * @param maxLoaded   the most versions loaded at once, over every model
     * @param drainMillis how long an unload or a replacement waits for the requests holding the old version
     */
    public ModelRegistry(ModelRepository repository, Loader loader, int maxLoaded, long drainMillis) {
        this(repository, loader, maxLoaded, drainMillis, null);
    }

    /**
     * @param defaultModel the model a request without one goes to; null for the only model served
     */
    public ModelRegistry(ModelRepository repository, Loader loader, int maxLoaded, long drainMillis, String defaultModel) {
        if (maxLoaded < 1) {
            throw new IllegalArgumentException("max-loaded must be at least 1: " + maxLoaded);
        }
        if (defaultModel != null) {
            ModelRepository.checkName(defaultModel);
        }
        this.repository = repository;
        this.loader = loader;
        this.maxLoaded = maxLoaded;
        this.drainMillis = drainMillis;
        this.defaultModel = defaultModel;
    }

    /**
     * The service without a repository: the one model it was started with, as version 1 of
     * {@link Classifier#MODEL}, always READY; there is nothing to load or unload.
     */
    public static ModelRegistry single(Classifier classifier) {
        ModelRegistry registry = new ModelRegistry(null, (m, v, c) -> {
            throw new IllegalStateException("no model repository is configured");
        }, 1, 0, Classifier.MODEL);
        registry.served.put(Classifier.MODEL, new ConcurrentSkipListMap<>(Map.of(1L,
                new ServedVersion(Classifier.MODEL, 1, new Loaded(classifier, () -> { }), ""))));
        registry.states.put(Classifier.MODEL, new ConcurrentSkipListMap<>(Map.of(1L, new Entry(Classifier.MODEL, 1, State.READY, null))));
        return registry;
    }

    /** Who hears of each load's outcome. */
    public void listener(Listener listener) {
        this.listener = listener;
    }

    /** The repository, or null when the service serves the one model it was started with. */
    public ModelRepository repository() {
        return repository;
    }

    /** The model a request that names none goes to: the configured default, else the only model served; null if neither. */
    public String defaultModel() {
        if (defaultModel != null) {
            return defaultModel;
        }
        List<String> ready = readyModels();
        return ready.size() == 1 ? ready.get(0) : null;
    }

    /**
     * A lease on a model named as a request names it: the default model when {@code model} is null,
     * and a version given as text ("" or null for the highest READY one).
     *
     * @throws RepositoryException {@code BAD_NAME} for a malformed name or version, {@code NOT_FOUND}
     *                             when it is not served, or when no model is named and there is no default
     */
    public Lease resolve(String model, String version) {
        String name = model == null || model.isEmpty() ? defaultModel() : model;
        if (name == null) {
            throw new RepositoryException(RepositoryException.Reason.NOT_FOUND,
                    "several models are served (" + String.join(", ", readyModels()) + "): name one with model=NAME");
        }
        ModelRepository.checkName(name);
        Long number = null;
        if (version != null && !version.isEmpty()) {
            try {
                number = Long.parseLong(version);
            } catch (NumberFormatException e) {
                number = 0L;
            }
            if (number < 1) {
                throw new RepositoryException(RepositoryException.Reason.BAD_NAME, "version '" + version + "' is not a positive integer");
            }
        }
        return acquire(name, number);
    }

    /**
     * A lease on a model's version, or its highest READY version when {@code version} is null.
     *
     * @throws RepositoryException {@code NOT_FOUND} when no such version is being served
     */
    public Lease acquire(String model, Long version) {
        while (true) {
            NavigableMap<Long, ServedVersion> versions = served.get(model);
            ServedVersion chosen = null;
            if (versions != null) {
                Map.Entry<Long, ServedVersion> latest = versions.lastEntry();
                chosen = version != null ? versions.get(version) : latest == null ? null : latest.getValue();
            }
            if (chosen == null) {
                throw new RepositoryException(RepositoryException.Reason.NOT_FOUND, version == null
                        ? "model '" + model + "' is not being served" + reason(model, null)
                        : "version " + version + " of model '" + model + "' is not being served" + reason(model, version));
            }
            if (chosen.acquire()) {
                return new Lease(chosen);
            }
            // Retired between the lookup and the lease: look again, and find its replacement (or nothing).
        }
    }

    private String reason(String model, Long version) {
        NavigableMap<Long, Entry> known = states.get(model);
        if (known == null) {
            return "";
        }
        Entry entry = version == null ? (known.isEmpty() ? null : known.lastEntry().getValue()) : known.get(version);
        return entry == null || entry.reason() == null ? "" : " (" + entry.state() + ": " + entry.reason() + ")";
    }

    /**
     * Whether a request that names no model can be served: the default model (without one, any
     * model) has a READY, warmed-up version. Readiness over REST, gRPC and the actuator rests on it.
     */
    public boolean defaultReady() {
        if (defaultModel() == null) {
            return !readyModels().isEmpty();
        }
        try (Lease lease = resolve(null, null)) {
            return lease.classifier().isWarm();
        } catch (RepositoryException e) {
            return false;
        }
    }

    /** Whether the model has a READY version. */
    public boolean isReady(String model) {
        NavigableMap<Long, ServedVersion> versions = served.get(model);
        return versions != null && !versions.isEmpty();
    }

    /** A model's READY versions, in ascending order, as the protocols write them. */
    public List<String> readyVersions(String model) {
        NavigableMap<Long, ServedVersion> versions = served.get(model);
        return versions == null ? List.of() : versions.keySet().stream().map(String::valueOf).toList();
    }

    /** The names of the models with a READY version, in order. */
    public List<String> readyModels() {
        return served.entrySet().stream().filter(e -> !e.getValue().isEmpty()).map(Map.Entry::getKey).sorted().toList();
    }

    /** Versions loaded now, over every model. */
    public int loadedCount() {
        return served.values().stream().mapToInt(Map::size).sum();
    }

    /**
     * Every model in the repository and every version known, with its state: READY, LOADING, or
     * UNAVAILABLE with the reason (failed to load, unloaded, not chosen by the version policy).
     */
    public List<Entry> index() {
        if (repository == null) {
            return states.values().stream().flatMap(m -> m.values().stream()).toList();
        }
        List<Entry> index = new ArrayList<>();
        ModelRepository.Snapshot snapshot = repository.scan();
        for (ModelRepository.Model model : snapshot.models()) {
            NavigableMap<Long, Entry> known = states.getOrDefault(model.name(), new ConcurrentSkipListMap<>());
            for (ModelRepository.Version version : model.versions()) {
                Entry entry = known.get(version.number());
                index.add(entry != null ? entry : new Entry(model.name(), version.number(), State.UNAVAILABLE,
                        model.problem() != null ? model.problem() : version.problem() != null ? version.problem()
                                : model.chosen().contains(version.number()) ? "not loaded" : "not chosen by the version policy"));
            }
            if (model.versions().isEmpty()) {
                index.add(new Entry(model.name(), 0, State.UNAVAILABLE, model.problem()));
            }
        }
        // Versions still served whose folders were removed (until an unload or a poll notices).
        states.forEach((name, known) -> known.values().stream()
                .filter(e -> snapshot.model(name) == null || snapshot.model(name).version(e.version()) == null)
                .forEach(index::add));
        index.sort(Comparator.comparing(Entry::model).thenComparingLong(Entry::version));
        return index;
    }

    /**
     * Loads (or reloads) a model: the versions its policy chooses are built and switched in; versions
     * no longer chosen are unloaded. A version that fails is UNAVAILABLE with its reason, and the
     * version it would have replaced keeps serving.
     *
     * @throws RepositoryException for a bad name, a model not in the repository, a malformed
     *                             {@code model.json}, or a load past {@code max-loaded}
     */
    public List<Entry> load(String name) {
        requireRepository();
        synchronized (changes) {
            ModelRepository.Model model = repository.scan(name);
            attempted.put(name, FolderPrints.model(model));
            NavigableMap<Long, Entry> known = states.computeIfAbsent(name, n -> new ConcurrentSkipListMap<>());
            if (model.problem() != null) {
                for (ModelRepository.Version v : model.versions()) {
                    known.put(v.number(), new Entry(name, v.number(), State.UNAVAILABLE, model.problem()));
                }
                log.warn("Model {} cannot be loaded: {}", name, model.problem());
                throw new RepositoryException(model.problem().startsWith("model.json")
                        ? RepositoryException.Reason.MALFORMED_CONFIG : RepositoryException.Reason.INCOMPLETE_VERSION,
                        "model '" + name + "': " + model.problem());
            }
            NavigableMap<Long, ServedVersion> current = served.getOrDefault(name, new ConcurrentSkipListMap<>());
            long others = loadedCount() - current.size();
            long after = others + model.chosen().size();
            if (after > maxLoaded) {
                throw new RepositoryException(RepositoryException.Reason.TOO_MANY_LOADED, "loading '" + name + "' (" + model.chosen().size()
                        + " version(s)) would make " + after + " loaded versions; alexnet.model-repository.max-loaded is " + maxLoaded);
            }
            for (ModelRepository.Version v : model.versions()) {
                if (v.problem() != null) {
                    known.put(v.number(), new Entry(name, v.number(), State.UNAVAILABLE, v.problem()));
                    log.warn("Model {} version {} cannot be served: {}", name, v.number(), v.problem());
                }
            }
            for (long number : model.chosen()) {
                loadVersion(name, model.version(number), model.config(), known);
            }
            for (Long number : new ArrayList<>(current.keySet())) {
                if (!model.chosen().contains(number)) {
                    unloadVersion(name, number, "not chosen by the version policy");
                }
            }
            return entries(name);
        }
    }

    private void loadVersion(String name, ModelRepository.Version version, ModelConfig config, NavigableMap<Long, Entry> known) {
        long number = version.number();
        known.put(number, new Entry(name, number, State.LOADING, null));
        long start = System.nanoTime();
        Loaded loaded;
        try {
            loaded = loader.load(name, version, config);
        } catch (Exception | OutOfMemoryError e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            boolean stillServed = served.getOrDefault(name, new ConcurrentSkipListMap<>()).containsKey(number);
            known.put(number, new Entry(name, number, stillServed ? State.READY : State.UNAVAILABLE,
                    stillServed ? "a reload failed, the earlier load keeps serving: " + reason : reason));
            log.warn("Model {} version {} failed to load: {}", name, number, reason);
            listener.loaded(name, number, false);
            return;
        }
        ServedVersion previous = served.computeIfAbsent(name, n -> new ConcurrentSkipListMap<>())
                .put(number, new ServedVersion(name, number, loaded, FolderPrints.version(version, config)));
        known.put(number, new Entry(name, number, State.READY, null));
        listener.loaded(name, number, true);
        log.info("Model {} version {} READY in {} s{}", name, number, String.format(java.util.Locale.ROOT, "%.2f",
                (System.nanoTime() - start) / 1e9), previous == null ? "" : " (replaced the earlier load)");
        if (previous != null) {
            previous.retireAndFree(drainMillis);
        }
    }

    /**
     * Unloads every version of a model: new requests get NOT_FOUND at once; requests holding a
     * version are answered, then its memory is freed.
     */
    public List<Entry> unload(String name) {
        requireRepository();
        ModelRepository.checkName(name);
        synchronized (changes) {
            NavigableMap<Long, ServedVersion> versions = served.get(name);
            if (versions == null || versions.isEmpty()) {
                if (!states.containsKey(name) && repository.scan().model(name) == null) {
                    throw new RepositoryException(RepositoryException.Reason.NOT_FOUND, "no model '" + name + "' in the repository");
                }
            } else {
                for (Long number : new ArrayList<>(versions.keySet())) {
                    unloadVersion(name, number, "unloaded");
                }
            }
            return entries(name);
        }
    }

    private void unloadVersion(String name, long number, String reason) {
        NavigableMap<Long, ServedVersion> versions = served.get(name);
        ServedVersion gone = versions == null ? null : versions.remove(number);
        states.computeIfAbsent(name, n -> new ConcurrentSkipListMap<>()).put(number, new Entry(name, number, State.UNAVAILABLE, reason));
        if (gone != null) {
            gone.retireAndFree(drainMillis);
            log.info("Model {} version {} unloaded ({})", name, number, reason);
        }
    }

    private void requireRepository() {
        if (repository == null) {
            throw new RepositoryException(RepositoryException.Reason.NOT_FOUND,
                    "no model repository is configured (alexnet.model-repository): the service serves the model it started with");
        }
    }

    /** Loads every model of the repository, each on its own: one that fails is UNAVAILABLE and the rest load. */
    public void loadAll() {
        for (ModelRepository.Model model : repository.scan().models()) {
            try {
                load(model.name());
            } catch (RepositoryException e) {
                log.warn("Model {} not loaded: {}", model.name(), e.getMessage());
            }
        }
    }

    /**
     * Follows the folder (the {@code poll} control mode): loads models that appeared, reloads those
     * whose chosen versions or files changed, and unloads those whose folders are gone. What cannot
     * be loaded is marked as a load would mark it.
     */
    public void poll() {
        requireRepository();
        ModelRepository.Snapshot snapshot = repository.scan();
        for (ModelRepository.Model model : snapshot.models()) {
            // Loaded or tried as the folder is now: nothing to do (a broken model is not retried until it changes).
            if (!FolderPrints.model(model).equals(attempted.get(model.name()))) {
                try {
                    load(model.name());
                } catch (RepositoryException e) {
                    log.warn("Model {} not loaded by the repository poll: {}", model.name(), e.getMessage());
                }
            }
        }
        for (String name : new ArrayList<>(served.keySet())) {
            if (snapshot.model(name) == null && !served.get(name).isEmpty()) {
                synchronized (changes) {
                    attempted.remove(name);
                    for (Long number : new ArrayList<>(served.get(name).keySet())) {
                        unloadVersion(name, number, "its folder was removed from the repository");
                    }
                }
            }
        }
        // A model that never loaded and whose folder is gone leaves the index.
        for (String name : new ArrayList<>(states.keySet())) {
            if (snapshot.model(name) == null && served.getOrDefault(name, new ConcurrentSkipListMap<>()).isEmpty()
                    && states.get(name).values().stream().noneMatch(e -> e.state() == State.READY)) {
                attempted.remove(name);
                if (states.get(name).values().stream().noneMatch(e -> "its folder was removed from the repository".equals(e.reason()))) {
                    states.remove(name);
                }
            }
        }
    }

    private List<Entry> entries(String name) {
        return List.copyOf(states.getOrDefault(name, new ConcurrentSkipListMap<>()).values());
    }

    /** Unloads everything (at shutdown, after the batcher has drained). */
    @Override
    public void close() {
        synchronized (changes) {
            for (String name : new ArrayList<>(served.keySet())) {
                for (Long number : new ArrayList<>(served.get(name).keySet())) {
                    unloadVersion(name, number, "the service stopped");
                }
            }
        }
    }
}
