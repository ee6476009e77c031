// Draws the page's ```mermaid blocks with the copy of mermaid in assets/mermaid/ (nothing is
// fetched from elsewhere). Loaded only on pages that have a diagram. Each diagram's source
// stays on the page, under "Diagram source", so it reads as text without this script and
// to anyone the drawing does not serve; the drawing follows the light or dark scheme.
import mermaid from "./mermaid/mermaid.esm.min.mjs";

const dark = matchMedia("(prefers-color-scheme: dark)");
const figures = [...document.querySelectorAll("figure.diagram")];

function sourceBox(figure) {
  let details = figure.querySelector("details.diagram-source");
  if (!details) {
    details = document.createElement("details");
    details.className = "diagram-source";
    const summary = document.createElement("summary");
    summary.textContent = "Diagram source";
    details.append(summary, figure.querySelector("pre.mermaid"));
    figure.append(details);
  }
  return details;
}

async function draw() {
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict",
                       theme: dark.matches ? "dark" : "default",
                       fontFamily: getComputedStyle(document.body).fontFamily });
  for (const [index, figure] of figures.entries()) {
    const source = figure.querySelector("pre.mermaid").textContent;
    try {
      const { svg } = await mermaid.render(`diagram-${index + 1}`, source);
      let drawing = figure.querySelector(".diagram-drawing");
      if (!drawing) {
        drawing = document.createElement("div");
        drawing.className = "diagram-drawing";
        figure.prepend(drawing);
        sourceBox(figure);
      }
      drawing.innerHTML = svg;  // sanitised by mermaid (securityLevel strict)
    } catch (error) {
      // A diagram mermaid cannot read stays as its source, with the reason beside it.
      figure.classList.add("diagram-failed");
      figure.querySelector(".diagram-drawing")?.remove();
      let reason = figure.querySelector(".diagram-error");
      if (!reason) {
        reason = document.createElement("p");
        reason.className = "diagram-error";
        figure.prepend(reason);
      }
      reason.textContent = `This diagram could not be drawn: ${String(error.message || error).split("\n")[0]}`;
    }
  }
}

draw();
dark.addEventListener("change", draw);
