"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("form"), files = $("files"), drop = $("drop"), topk = $("topk"), button = $("classify");
  const status = $("status"), error = $("error"), results = $("results");
  let chosen = [];

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  const picker = $("model-picker");

  /** The model chosen in the picker ("" for the service's default), as a query parameter. */
  function modelQuery(prefix) {
    return picker.value ? `${prefix}model=${encodeURIComponent(picker.value)}` : "";
  }

  /** With a model repository serving several models, offers them in a picker; with one, stays hidden. */
  async function loadModels() {
    try {
      const response = await fetch("models");
      const body = await response.json();
      const names = [...new Set(body.models.filter((m) => m.state === "READY").map((m) => m.name))];
      if (names.length > 1) {
        picker.replaceChildren(...names.map((name) => {
          const option = document.createElement("option");
          option.value = name;
          option.textContent = name;
          option.selected = name === body.defaultModel;
          return option;
        }));
        picker.hidden = false;
        $("model-picker-label").hidden = false;
      }
    } catch (e) {
      // one model: nothing to pick
    }
  }

  async function loadModel() {
    try {
      const response = await fetch("model" + modelQuery("?"));
      const model = await response.json();
      const weights = model.randomInit ? "random-init (random weights)" : `${model.weights}, sha256 ${model.sha256}`;
      $("model").textContent = `Model: AlexNet, ${model.classes} classes (${model.labels}); weights: ${weights}; ` +
        `preprocessing: ${model.preprocessing}; ${model.backend} on ${model.device}`;
      $("random-warning").hidden = !model.randomInit;
      topk.max = String(model.classes);
      if (Number(topk.value) > model.classes) {
        topk.value = String(model.classes); // a 3-class model cannot show a top 5
      }
      files.dataset.maxImages = String(model.maxImagesPerRequest);
    } catch (e) {
      $("model").textContent = "The model description could not be loaded.";
    }
  }

  function choose(list) {
    chosen = Array.from(list).filter((f) => f.size > 0);
    button.disabled = chosen.length === 0;
    status.textContent = chosen.length ? `${chosen.length} image(s) chosen.` : "";
    if (chosen.length) {
      classify();
    }
  }

  function percent(p) {
    return (p * 100).toFixed(p >= 0.1 ? 1 : 2) + "%";
  }

  function render(body) {
    results.replaceChildren();
    body.results.forEach((result, i) => {
      const card = document.createElement("article");
      card.className = "card";
      card.dataset.testid = "result";
      const title = document.createElement("h2");
      title.textContent = `${result.filename || "image " + (i + 1)} (${result.width} × ${result.height})`;
      card.append(title);

      const images = document.createElement("div");
      images.className = "images";
      const original = document.createElement("figure");
      const img = document.createElement("img");
      img.src = URL.createObjectURL(chosen[i]);
      img.alt = `Uploaded image ${result.filename || i + 1}`;
      const cap1 = document.createElement("figcaption");
      cap1.textContent = "Uploaded";
      original.append(img, cap1);
      images.append(original);
      if (result.preview) {
        const crop = document.createElement("figure");
        const cimg = document.createElement("img");
        cimg.src = result.preview;
        cimg.alt = "The 227 × 227 input the network saw";
        cimg.dataset.testid = "preview";
        const cap2 = document.createElement("figcaption");
        cap2.textContent = "What the network saw (227 × 227)";
        crop.append(cimg, cap2);
        images.append(crop);
      }
      card.append(images);

      const list = document.createElement("ol");
      list.className = "predictions";
      list.setAttribute("aria-label", `Top ${result.predictions.length} labels`);
      result.predictions.forEach((p) => {
        const item = document.createElement("li");
        const head = document.createElement("div");
        head.className = "pred-head";
        const label = document.createElement("span");
        label.className = "label";
        label.dataset.testid = "label";
        label.textContent = p.label;
        const value = document.createElement("span");
        value.textContent = percent(p.probability);
        head.append(label, value);
        const bar = document.createElement("div");
        bar.className = "bar";
        bar.setAttribute("role", "meter");
        bar.setAttribute("aria-label", `${p.label}: ${percent(p.probability)}`);
        bar.setAttribute("aria-valuemin", "0");
        bar.setAttribute("aria-valuemax", "1");
        bar.setAttribute("aria-valuenow", String(p.probability));
        const fill = document.createElement("span");
        fill.style.width = Math.max(0.5, p.probability * 100) + "%";
        bar.append(fill);
        item.append(head, bar);
        list.append(item);
      });
      card.append(list);
      results.append(card);
    });
    const t = body.timings;
    $("timings").textContent = `Timings: decode ${t.decodeMs} ms · queue ${t.queueMs} ms · inference ${t.inferenceMs} ms · total ${t.totalMs} ms`;
  }

  async function classify() {
    if (!chosen.length) {
      return;
    }
    const max = Number(files.dataset.maxImages || 32);
    if (chosen.length > max) {
      showError(`At most ${max} images at once.`);
      return;
    }
    showError("");
    button.disabled = true;
    status.textContent = `Classifying ${chosen.length} image(s)…`;
    const data = new FormData();
    chosen.forEach((f) => data.append("image", f, f.name));
    try {
      const response = await fetch(`classify?topk=${encodeURIComponent(topk.value)}&preview=true${modelQuery("&")}`,
        { method: "POST", body: data });
      const body = await response.json();
      if (!response.ok) {
        showError(`${body.title || "Error"}: ${body.detail || response.status}`);
        status.textContent = "";
        return;
      }
      render(body);
      status.textContent = `Classified ${body.results.length} image(s).`;
      results.dataset.state = "done";
    } catch (e) {
      showError("The request failed: " + e.message);
      status.textContent = "";
    } finally {
      button.disabled = chosen.length === 0;
    }
  }

  files.addEventListener("change", () => choose(files.files));
  form.addEventListener("submit", (e) => { e.preventDefault(); classify(); });
  topk.addEventListener("change", () => { if (chosen.length) classify(); });
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => choose(e.dataTransfer.files));
  picker.addEventListener("change", async () => {
    await loadModel();
    if (chosen.length) classify();
  });
  loadModels().then(loadModel);
})();
