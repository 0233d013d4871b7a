"""Drives the check-in page in headless Chromium through Selenium (CheckinBrowserTests), as an organiser would: a
phone opens the link, types who they are and the headcount, presses "Gửi quân số"; a desktop browser opens the
English page and presses "We need help". Prints one JSON object of what it saw; screenshots go to SHOTS.

usage: checkin_selenium.py LINK STATUS_FILE SITE_ID SHOTS_DIR PROFILE_DIR
"""

import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

link, status_file, site_id, shots, profile = sys.argv[1:6]


def status_site():
    try:
        with open(status_file, encoding="utf-8") as handle:
            status = json.load(handle)
    except (OSError, ValueError):
        return None
    return next((site for site in status.get("sites", []) if site.get("id") == site_id), None)


def layout(driver):
    """What a reader of a small screen needs: no sideways scrolling, buttons and fields a thumb can hit, text large
    enough not to make the phone zoom."""
    return driver.execute_script(
        """
        const box = e => e.getBoundingClientRect();
        return {
          viewport: window.innerWidth,
          scrollWidth: document.documentElement.scrollWidth,
          buttonHeights: [...document.querySelectorAll('button')].map(b => box(b).height),
          buttonWidths: [...document.querySelectorAll('button')].map(b => box(b).width),
          inputHeights: [...document.querySelectorAll('input[type=text],input[type=number]')].map(i => box(i).height),
          inputFontSizes: [...document.querySelectorAll('input[type=text],input[type=number]')]
            .map(i => parseFloat(getComputedStyle(i).fontSize)),
          scripts: document.scripts.length,
          lowestButtonBottom: Math.max(0, ...[...document.querySelectorAll('button')].map(b => box(b).bottom)),
          viewportHeight: window.innerHeight,
        };
        """
    )


options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--user-data-dir=" + profile,
                 "--lang=vi", "--window-size=1280,800", "--hide-scrollbars"]:
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
seen = {}
try:
    # A phone: 360 x 740 CSS pixels, as the small Android phones at commune offices.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True})
    driver.get(link)
    seen["phoneTitle"] = driver.title
    seen["phoneHeading"] = driver.find_element(By.TAG_NAME, "h1").text
    seen["phoneButtons"] = [button.text for button in driver.find_elements(By.TAG_NAME, "button")]
    seen["phoneLayout"] = layout(driver)
    driver.save_screenshot(shots + "/phone-form.png")
    driver.find_element(By.ID, "who").send_keys("Chị Lan 0912 345 678")
    driver.find_element(By.ID, "count").send_keys("45")
    driver.save_screenshot(shots + "/phone-filled.png")
    driver.find_element(By.CSS_SELECTOR, "button[value=count]").click()
    WebDriverWait(driver, 30).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".notice.done")))
    submitted = time.monotonic()
    seen["phoneNotice"] = driver.find_element(By.CSS_SELECTOR, ".notice.done").text
    while time.monotonic() - submitted < 30:
        site = status_site()
        if site and site.get("headcount") == 45 and site.get("headcount_source") == "checkin":
            seen["statusSite"] = site
            seen["secondsToStatusFile"] = round(time.monotonic() - submitted, 3)
            break
        time.sleep(0.02)
    seen["phoneResultLayout"] = layout(driver)
    driver.save_screenshot(shots + "/phone-result.png")

    # A desktop browser at 1280 x 800, the English page, "We need help".
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    driver.get(link + "?lang=en")
    seen["desktopTitle"] = driver.title
    seen["desktopButtons"] = [button.text for button in driver.find_elements(By.TAG_NAME, "button")]
    seen["desktopLayout"] = layout(driver)
    driver.save_screenshot(shots + "/desktop-form.png")
    driver.find_element(By.ID, "who").send_keys("Anh Minh 0987 654 321")
    driver.find_element(By.CSS_SELECTOR, "button[value=help]").click()
    WebDriverWait(driver, 30).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".notice.done")))
    seen["desktopNotice"] = driver.find_element(By.CSS_SELECTOR, ".notice.done").text
    driver.save_screenshot(shots + "/desktop-result.png")
finally:
    driver.quit()
print(json.dumps(seen, ensure_ascii=False))
