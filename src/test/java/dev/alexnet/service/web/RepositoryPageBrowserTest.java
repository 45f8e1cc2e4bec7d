package dev.alexnet.service.web;

import static org.assertj.core.api.Assertions.assertThat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import dev.alexnet.service.preprocess.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import dev.alexnet.service.model.repository.RepositoryFixtures;
import org.junit.jupiter.api.AfterAll;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The page on a model repository serving two models, in a real browser: a model picker appears,
 * and choosing a model classifies with it (its own labels come back).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "alexnet.weights=", "management.server.port=0", "server.address=127.0.0.1", "alexnet.default-model=alexnet"})
class RepositoryPageBrowserTest {

    private static final Path REPO = repository();

    @LocalServerPort
    int port;

    @TempDir
    Path dir;

    private ChromeDriver driver;

    private static Path repository() {
        try {
            Path repo = Files.createTempDirectory("alexnet-page-test");
            RepositoryFixtures.version(repo, "alexnet", 1, 10, 1);
            RepositoryFixtures.version(repo, "flowers", 1, 3, 2);
            return repo;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void repository(DynamicPropertyRegistry properties) {
        properties.add("alexnet.model-repository.path", REPO::toString);
    }

    @AfterAll
    static void remove() throws java.io.IOException {
        RepositoryFixtures.delete(REPO);
    }

    @BeforeEach
    void browser() {
        driver = HeadlessChromium.start(dir.resolve("profile"));
    }

    @AfterEach
    void close() {
        if (driver != null) {
            driver.quit();
        }
    }

    @Test
    void thePickerOffersTheModelsAndTheChosenOneClassifies() throws Exception {
        Path file = Files.write(dir.resolve("quadrants.png"), TestImages.encode(TestImages.quadrants(320, 240), "png"));
        driver.get("http://127.0.0.1:" + port + "/");
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        wait.until(d -> d.findElement(By.id("model-picker")).isDisplayed());
        org.openqa.selenium.support.ui.Select picker = new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("model-picker")));
        assertThat(picker.getOptions()).extracting(WebElement::getText).containsExactly("alexnet", "flowers");
        assertThat(picker.getFirstSelectedOption().getText()).as("the default model first").isEqualTo("alexnet");
        picker.selectByVisibleText("flowers");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("model"), "3 classes"));

        driver.findElement(By.id("files")).sendKeys(file.toString());
        wait.until(d -> "done".equals(d.findElement(By.id("results")).getDomAttribute("data-state")));
        List<String> shown = new ArrayList<>();
        for (WebElement label : driver.findElements(By.cssSelector("[data-testid=label]"))) {
            shown.add(label.getText());
        }
        assertThat(shown).isNotEmpty().allMatch(l -> l.startsWith("flowers class "));
    }
}
