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

/**
 * The page in a real browser: Debian's chromium, headless, driven through its chromedriver
 * (.ci/run installs both). Uploads a generated image and checks that the labels shown are the API's.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "alexnet.weights=", "management.server.port=0", "server.address=127.0.0.1"})
class WebPageBrowserTest {


    @LocalServerPort
    int port;

    @TempDir
    Path dir;

    private ChromeDriver driver;

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

    private JsonNode apiAnswer(byte[] png, int topk) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/classify?topk=" + topk))
                .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return JsonMapper.builder().build().readTree(response.body());
    }

    private void screenshot(String name) throws Exception {
        Path target = Path.of("target", name);
        Files.createDirectories(target.getParent());
        Files.write(target, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void uploadsAnImageAndShowsTheApisLabels() throws Exception {
        byte[] png = TestImages.encode(TestImages.quadrants(320, 240), "png");
        Path file = Files.write(dir.resolve("quadrants.png"), png);
        driver.get("http://127.0.0.1:" + port + "/");
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("model"), "random-init"));
        assertThat(driver.findElement(By.id("random-warning")).isDisplayed()).isTrue();
        assertThat(driver.findElement(By.cssSelector("label[for=files]")).getText()).contains("Drop images");
        assertThat(driver.findElement(By.cssSelector("label[for=topk]")).getText()).isNotBlank();

        WebElement topk = driver.findElement(By.id("topk"));
        topk.clear();
        topk.sendKeys("3");
        driver.findElement(By.id("files")).sendKeys(file.toString());
        wait.until(d -> "done".equals(d.findElement(By.id("results")).getDomAttribute("data-state")));

        List<String> shown = new ArrayList<>();
        for (WebElement label : driver.findElements(By.cssSelector("[data-testid=label]"))) {
            shown.add(label.getText());
        }
        List<String> expected = new ArrayList<>();
        for (JsonNode p : apiAnswer(png, 3).at("/results/0/predictions")) {
            expected.add(p.get("label").asString());
        }
        assertThat(shown).hasSize(3).isEqualTo(expected);
        WebElement preview = driver.findElement(By.cssSelector("[data-testid=preview]"));
        assertThat(preview.getDomAttribute("src")).startsWith("data:image/png;base64,");
        assertThat(((Number) driver.executeScript("return arguments[0].naturalWidth", preview)).intValue()).isEqualTo(227);
        assertThat(driver.findElement(By.cssSelector("[data-testid=timings]")).getText()).contains("inference").contains("ms");
        screenshot("webpage-desktop.png");

        // Phone width: the page still fits without horizontal scrolling.
        driver.manage().window().setSize(new Dimension(390, 844));
        long scrollWidth = ((Number) driver.executeScript("return document.documentElement.scrollWidth")).longValue();
        long clientWidth = ((Number) driver.executeScript("return document.documentElement.clientWidth")).longValue();
        assertThat(scrollWidth).isLessThanOrEqualTo(clientWidth);
        screenshot("webpage-phone.png");
    }

    @Test
    void theControlsAreReachableByKeyboard() {
        driver.get("http://127.0.0.1:" + port + "/");
        List<String> focused = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            new org.openqa.selenium.interactions.Actions(driver).sendKeys(org.openqa.selenium.Keys.TAB).perform();
            focused.add(String.valueOf(driver.switchTo().activeElement().getDomAttribute("id")));
        }
        assertThat(focused).contains("files", "topk");
        assertThat(driver.findElement(By.id("files")).getDomAttribute("multiple")).isNotNull();
    }

    @Test
    void aBadFileShowsTheProblemInAnAlert() throws Exception {
        Path file = Files.writeString(dir.resolve("notes.png"), "this is not an image");
        driver.get("http://127.0.0.1:" + port + "/");
        driver.findElement(By.id("files")).sendKeys(file.toString());
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        WebElement alert = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
        assertThat(alert.getDomAttribute("role")).isEqualTo("alert");
        assertThat(alert.getText()).contains("Not an image");
    }
}
