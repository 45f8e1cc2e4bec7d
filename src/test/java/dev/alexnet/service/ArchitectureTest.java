package dev.alexnet.service;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The README's package table, checked on the compiled classes: every dependency points down the path of an image. */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.alexnet.service");
    }

    @Test
    void layersAreOnlyUsedFromAbove() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("rest").definedBy("..api.rest..")
                .layer("v2").definedBy("..api.v2..")
                .layer("http").definedBy("..api.http..")
                .layer("problem").definedBy("..api.problem..")
                .layer("attributes").definedBy("dev.alexnet.service.api")
                .layer("classify").definedBy("..classify..")
                .layer("preprocess").definedBy("..preprocess..")
                .layer("engine").definedBy("..engine..")
                .layer("metrics").definedBy("..metrics..")
                .layer("model").definedBy("dev.alexnet.service.model")
                .layer("network").definedBy("..model.network..")
                .layer("weights").definedBy("..model.weights..")
                .layer("runtime").definedBy("..model.runtime..")
                .layer("repository").definedBy("..model.repository..")
                .layer("config").definedBy("..config..")
                .layer("train").definedBy("..train..")
                .layer("cli").definedBy("..cli..")
                .layer("application").definedBy("dev.alexnet.service")
                .whereLayer("rest").mayOnlyBeAccessedByLayers("config")
                .whereLayer("v2").mayOnlyBeAccessedByLayers("config")
                .whereLayer("http").mayOnlyBeAccessedByLayers("rest", "v2", "config")
                .whereLayer("problem").mayOnlyBeAccessedByLayers("rest", "v2", "http")
                .whereLayer("attributes").mayOnlyBeAccessedByLayers("rest", "v2", "http", "problem")
                .whereLayer("classify").mayOnlyBeAccessedByLayers("rest", "v2", "http", "problem", "config", "cli", "train")
                .whereLayer("preprocess").mayOnlyBeAccessedByLayers("rest", "classify", "problem", "config", "cli", "train")
                .whereLayer("engine").mayOnlyBeAccessedByLayers("classify", "http", "problem", "v2", "metrics", "config", "cli", "train")
                .whereLayer("network").mayOnlyBeAccessedByLayers("engine", "config", "cli", "train")
                .whereLayer("weights").mayOnlyBeAccessedByLayers("network", "engine", "classify", "metrics", "config", "cli", "train")
                .whereLayer("runtime").mayOnlyBeAccessedByLayers("network", "engine", "classify", "metrics", "config", "cli", "train")
                .whereLayer("repository").mayOnlyBeAccessedByLayers("engine", "classify", "rest", "v2", "problem", "config", "cli", "train")
                .whereLayer("cli").mayOnlyBeAccessedByLayers("application")
                .check(classes);
    }

    @Test
    void theModelHasNoSpringInIt() {
        noClasses().that().resideInAPackage("dev.alexnet.service.model..")
                .should().dependOnClassesThat().resideInAPackage("org.springframework..")
                .check(classes);
    }

    @Test
    void noPackagesDependOnEachOtherInACircle() {
        slices().matching("dev.alexnet.service.(**)").should().beFreeOfCycles().check(classes);
    }
}
