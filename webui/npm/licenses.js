// Writes the licences of every package bundled into jssip.min.js (JsSIP and
// its dependencies) into one file beside it.
const fs = require("fs");
const bundled = [["jssip", "LICENSE.md"], ["debug", "LICENSE"], ["ms", "license.md"], ["events", "LICENSE"], ["sdp-transform", "LICENSE"]];
let out = "Licences of the packages bundled into jssip.min.js (built by webui/npm: npm ci && npm run vendor).\n";
for (const [name, file] of bundled) {
  const { version } = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8"));
  out += `\n---- ${name} ${version} ----\n\n` + fs.readFileSync(`node_modules/${name}/${file}`, "utf8").trim() + "\n";
}
fs.writeFileSync("../static/vendor/jssip.LICENSE.md", out);
