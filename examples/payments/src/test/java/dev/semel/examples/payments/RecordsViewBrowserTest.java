package dev.semel.examples.payments;

import static dev.semel.examples.payments.Api.payment;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

/** The records view in a real Chromium: sign in as the demo operator, filter, delete. */
class RecordsViewBrowserTest extends BrowserTestSupport {
    ChromeDriver driver;

    @BeforeEach
    void openTheRecordsView(ChromeDriver driver) {
        this.driver = driver;
        driver.get(base() + "/records.html");
        driver.executeScript("sessionStorage.clear()");
        driver.get(base() + "/records.html");
        waiting(driver).until(d -> "true".equals(driver.executeScript("return document.body.dataset.ready")));
    }

    void signIn(String user, String password) {
        WebElement name = byId(driver, "user");
        name.clear();
        name.sendKeys(user);
        byId(driver, "password").sendKeys(password);
        byId(driver, "signin-button").click();
    }

    List<WebElement> rows() {
        return driver.findElements(By.cssSelector("#records tr"));
    }

    List<String> cells(WebElement row) {
        return row.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
    }

    @Test
    void theOperatorSeesARecordFiltersByKeyAndDeletesIt() throws Exception {
        String prefix = "rec-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        api().as("alice").post("/payments", payment("7.00", "EUR", "carol"), prefix + "1");
        api().as("alice").post("/payments", payment("8.00", "EUR", "carol"), prefix + "2");
        api().as("alice").post("/payments", payment("9.00", "EUR", "carol"), "other-" + UUID.randomUUID());

        signIn("ops", "ops");
        waiting(driver).until(d -> !rows().isEmpty());
        assertThat(byId(driver, "signed-in").getText()).contains("ops");

        byId(driver, "keyPrefix").sendKeys(prefix);
        byId(driver, "apply").click();
        waiting(driver).until(d -> rows().size() == 2);
        List<String> newest = cells(rows().get(0));
        assertThat(newest.subList(0, 5)).containsExactly(prefix + "2", "alice", "POST /payments", "COMPLETED", "201");
        assertThat(newest.get(5)).isNotBlank();
        assertThat(newest.get(6)).isNotBlank();
        assertThat(newest.get(7)).endsWith("bytes, hidden");
        screenshot(driver, "records-filtered");

        WebElement delete = rows().get(0).findElement(By.cssSelector("button.delete"));
        delete.click();
        assertThat(delete.getText()).isEqualTo("Confirm delete");
        delete.click();

        waiting(driver).until(d -> rows().size() == 1);
        assertThat(cells(rows().get(0)).get(0)).isEqualTo(prefix + "1");
        assertThat(byId(driver, "message").getText()).isEqualTo("Deleted the record of key " + prefix + "2.");
        assertThat(api().as("ops").get("/actuator/idempotency?keyPrefix=" + prefix).json().get("count").asInt()).isEqualTo(1);
        screenshot(driver, "records-deleted");
    }

    @Test
    void aWrongPasswordOrACustomerIsRefusedWithTheReason() throws Exception {
        signIn("ops", "wrong");
        waiting(driver).until(d -> !driver.findElements(By.id("signin-error")).isEmpty());
        assertThat(byId(driver, "signin-error").getText()).startsWith("Wrong user name or password");
        assertThat(byId(driver, "records-panel").isDisplayed()).isFalse();
        screenshot(driver, "records-wrong-password");

        byId(driver, "password").clear();
        signIn("alice", "alice");
        waiting(driver).until(d -> byId(driver, "signin-error").getText().contains("ops role"));
        assertThat(byId(driver, "records-panel").isDisplayed()).isFalse();
    }
}
