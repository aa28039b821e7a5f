package dev.semel.examples.payments;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The checkout page in a real Chromium: however the visitor clicks, reloads or opens tabs, and
 * however the network loses answers, one checkout attempt is one payment on the server.
 */
class CheckoutPageBrowserTest extends BrowserTestSupport {
    ChromeDriver driver;

    @BeforeEach
    void openAFreshCheckout(ChromeDriver driver) {
        this.driver = driver;
        // One browser for every test: start each from an empty localStorage, in a single tab.
        List<String> handles = List.copyOf(driver.getWindowHandles());
        for (String handle : handles.subList(1, handles.size())) {
            driver.switchTo().window(handle).close();
        }
        driver.switchTo().window(handles.get(0));
        driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        driver.get(base() + "/");
        driver.executeScript("localStorage.clear()");
        openCheckout();
    }

    void openCheckout() {
        driver.get(base() + "/");
        waiting(driver).until(d -> "true".equals(driver.executeScript("return document.body.dataset.ready")));
    }

    String recipient(String prefix) {
        return prefix + UUID.randomUUID().toString().substring(0, 8);
    }

    void enterRecipient(String name) {
        WebElement recipient = byId(driver, "recipient");
        recipient.clear();
        recipient.sendKeys(name);
    }

    String phase() {
        return byId(driver, "status").getDomAttribute("data-phase");
    }

    void waitForPhase(String phase) {
        waiting(driver).until(d -> phase.equals(phase()));
    }

    String key() {
        return byId(driver, "key").getText();
    }

    /** The attempt lines as shown, read in one go (the list is redrawn as answers arrive). */
    @SuppressWarnings("unchecked")
    List<String> attempts() {
        return (List<String>) driver.executeScript(
                "return Array.from(document.querySelectorAll('#attempts li'), li => li.textContent)");
    }

    int paymentsTo(String recipient) {
        return api().get("/payments?limit=100&recipient=" + recipient).json().size();
    }

    @Test
    void aDoubleClickOnPayChargesOnce() throws Exception {
        String to = recipient("double-");
        enterRecipient(to);
        screenshot(driver, "checkout-ready");

        new Actions(driver).doubleClick(byId(driver, "pay")).perform();

        waitForPhase("paid");
        assertThat(paymentsTo(to)).isEqualTo(1);
        assertThat(attempts()).hasSize(1);
        assertThat(byId(driver, "status-text").getText()).startsWith("Paid 12.50 EUR to " + to);
        assertThat(byId(driver, "pay").isEnabled()).isFalse();
        waiting(driver).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#payments li.mine")));
        assertThat(driver.findElement(By.cssSelector("#payments li.mine")).getText()).contains(to);
        screenshot(driver, "checkout-paid");

        String paidKey = key();
        byId(driver, "new-payment").click();
        assertThat(key()).isNotEqualTo(paidKey);
        assertThat(phase()).isEqualTo("ready");
        assertThat(byId(driver, "pay").isEnabled()).isTrue();
        assertThat(paymentsTo(to)).isEqualTo(1);
    }

    @Test
    void aTripleClickOnPayChargesOnce() {
        String to = recipient("triple-");
        enterRecipient(to);

        new Actions(driver).click(byId(driver, "pay")).click().click().perform();

        waitForPhase("paid");
        assertThat(paymentsTo(to)).isEqualTo(1);
        assertThat(attempts()).hasSize(1);
    }

    @Test
    void clicksAndSubmitsDuringASlowPaymentSendNothingMore() throws Exception {
        String to = recipient("slow-");
        enterRecipient(to);
        byId(driver, "pay").click();
        String key = key();
        waiting(driver).until(d -> arrivals.of(key) == 1);
        assertThat(phase()).isEqualTo("paying");
        assertThat(byId(driver, "pay").getText()).isEqualTo("Paying…");
        assertThat(byId(driver, "recipient").isEnabled()).isFalse();
        screenshot(driver, "checkout-paying-slow");

        // The button is disabled; a script submitting the form anyway meets the page's own guard.
        byId(driver, "pay").click();
        driver.executeScript("document.getElementById('checkout').requestSubmit()");

        waitForPhase("paid");
        assertThat(paymentsTo(to)).isEqualTo(1);
        assertThat(arrivals.of(key)).isEqualTo(1);
        assertThat(attempts()).hasSize(1);
    }

    @Test
    void aReloadDuringAPaymentResumesItWithTheSameKeyAndShowsTheReplay() throws Exception {
        String to = recipient("slow-");
        enterRecipient(to);
        byId(driver, "pay").click();
        String key = key();
        waiting(driver).until(d -> arrivals.of(key) == 1);

        driver.navigate().refresh();

        waitForPhase("paid");
        assertThat(key()).isEqualTo(key);
        assertThat(byId(driver, "recipient").getDomProperty("value")).isEqualTo(to);
        assertThat(arrivals.of(key)).isGreaterThanOrEqualTo(2);
        assertThat(paymentsTo(to)).isEqualTo(1);
        List<String> attempts = attempts();
        assertThat(attempts.get(0)).contains("its answer not seen here");
        assertThat(attempts.get(attempts.size() - 1)).contains("201 · Idempotent-Replayed: true");
        assertThat(byId(driver, "status-text").getText()).contains("Idempotent-Replayed: true");
        screenshot(driver, "checkout-reloaded-replayed");
    }

    @Test
    void aSecondTabOfTheSameAttemptJoinsItAndBothShowTheOnePayment() throws Exception {
        String to = recipient("slow-");
        enterRecipient(to);
        byId(driver, "pay").click();
        String key = key();
        String first = driver.getWindowHandle();
        waiting(driver).until(d -> arrivals.of(key) == 1);

        driver.switchTo().newWindow(WindowType.TAB);
        openCheckout();
        assertThat(key()).isEqualTo(key);
        assertThat(byId(driver, "recipient").getDomProperty("value")).isEqualTo(to);

        waitForPhase("paid");
        screenshot(driver, "checkout-second-tab");
        driver.switchTo().window(first);
        waitForPhase("paid");
        assertThat(key()).isEqualTo(key);
        assertThat(arrivals.of(key)).isGreaterThanOrEqualTo(2);
        assertThat(paymentsTo(to)).isEqualTo(1);
    }

    @Test
    void withTheFlakyNetworkALostAnswerIsRetriedAndTheReplayShown() throws Exception {
        // Not a "flaky-" sandbox name: here the network loses the answer, the provider does not fail.
        String to = recipient("lossy-");
        enterRecipient(to);
        // The keyboard alone: the switch with the space bar, the payment with Enter.
        WebElement flaky = byId(driver, "flaky");
        waiting(driver).until(d -> flaky.isEnabled() && byId(driver, "flaky-help").getText().contains("port"));
        flaky.sendKeys(Keys.SPACE);
        assertThat(flaky.isSelected()).isTrue();
        byId(driver, "recipient").sendKeys(Keys.ENTER);

        waitForPhase("paid");
        String key = key();
        List<String> attempts = attempts();
        assertThat(attempts).hasSizeGreaterThanOrEqualTo(2);
        assertThat(attempts.get(0)).startsWith("#1 flaky proxy").contains("no answer");
        assertThat(attempts.get(attempts.size() - 1)).contains("201 · Idempotent-Replayed: true");
        assertThat(arrivals.of(key)).isEqualTo(attempts.size());
        assertThat(paymentsTo(to)).isEqualTo(1);
        screenshot(driver, "checkout-flaky-network-replayed");
    }

    @Test
    void aDeclinedPaymentIsAStoredAnswerThatSendingAgainReplays() throws Exception {
        byId(driver, "pay").isDisplayed();
        driver.findElement(By.cssSelector(".chip[data-recipient='declined-']")).click();
        String to = byId(driver, "recipient").getDomProperty("value");
        assertThat(to).startsWith("declined-");
        byId(driver, "pay").click();

        waitForPhase("refused");
        assertThat(byId(driver, "status-text").getText()).contains("402").contains("declined");
        assertThat(byId(driver, "pay").getText()).isEqualTo("Send again (same key)");
        byId(driver, "pay").click();

        waiting(driver).until(d -> attempts().size() == 2 && "refused".equals(phase()));
        assertThat(attempts().get(1)).contains("402 · Idempotent-Replayed: true");
        assertThat(paymentsTo(to)).isZero();
        screenshot(driver, "checkout-declined-replayed");
    }

    @Test
    void onAPhoneTheCheckoutFitsTheScreenWidth() throws Exception {
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                Map.of("width", 390, "height", 844, "deviceScaleFactor", 2, "mobile", true));
        openCheckout();

        Object overflow = driver.executeScript("return document.documentElement.scrollWidth - window.innerWidth");
        assertThat(((Number) overflow).intValue()).isLessThanOrEqualTo(0);
        assertThat(byId(driver, "pay").isDisplayed()).isTrue();
        screenshot(driver, "checkout-phone");
    }
}
