// The softphone's SIP stack as one ES module (webui/static/vendor/jssip.min.js).
import JsSIP from "jssip";
export default JsSIP;
