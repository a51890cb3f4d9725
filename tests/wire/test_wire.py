"""Wire fidelity: every SOAP request nestwarden sends, held against what pyVmomi serialises for the
same call. vCenter validates element order against the vim25 schema; the simulator does not, so
pyVmomi (Debian's python3-pyvmomi, API 6.7) is the oracle. The values (morefs, paths, tokens) come
from our request; the structure, order and types come from pyVmomi."""
import json
import os
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from scenario import Scenario  # noqa: E402
import testmain  # noqa: E402

from pyVmomi import SoapAdapter, VmomiSupport, vim, vmodl  # noqa: E402

NS = {"soapenv": "http://schemas.xmlsoap.org/soap/envelope/", "vim": "urn:vim25",
      "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
PC = vmodl.query.PropertyCollector
STUB = SoapAdapter.SoapStubAdapter(host="127.0.0.1", port=1, version="vim.version.version12")


def canon(xml):
    if isinstance(xml, bytes):
        xml = xml.decode()
    return ET.canonicalize(xml_data=xml)


def text(el, name):
    child = el.find("vim:" + name, NS)
    return None if child is None else child.text


def moref(el, name, cls=None):
    child = el.find("vim:" + name, NS)
    return (cls or wsdl(child.get("type")))(child.text, STUB)


def wsdl(name):
    return VmomiSupport.GetWsdlType("urn:vim25", name)


def boolean(s):
    return {"true": True, "false": False}[s]


def filter_spec(el):
    spec = PC.FilterSpec()
    spec.propSet = [PC.PropertySpec(type=wsdl(text(p, "type")),
                                    pathSet=[x.text for x in p.findall("vim:pathSet", NS)])
                    for p in el.findall("vim:propSet", NS)]
    objs = []
    for o in el.findall("vim:objectSet", NS):
        sel = []
        for s in o.findall("vim:selectSet", NS):
            sel.append(PC.TraversalSpec(name=text(s, "name"), type=wsdl(text(s, "type")),
                                        path=text(s, "path"), skip=boolean(text(s, "skip"))))
        objs.append(PC.ObjectSpec(obj=moref(o, "obj"), skip=boolean(text(o, "skip")), selectSet=sel))
    spec.objectSet = objs
    missing = text(el, "reportMissingObjectsInResults")
    if missing is not None:
        spec.reportMissingObjectsInResults = boolean(missing)
    return spec


def pyvmomi_body(method_el):
    """pyVmomi's envelope for the call in method_el, built from its values."""
    name = method_el.tag.split("}")[1]
    this = method_el.find("vim:_this", NS)
    this_type, this_id = this.get("type"), this.text
    if name == "RetrieveServiceContent":
        mo = vim.ServiceInstance(this_id, STUB)
        return STUB.SerializeRequest(mo, mo._GetMethodInfo("RetrieveContent"), [])
    if name in ("Login", "Logout"):
        mo = vim.SessionManager(this_id, STUB)
        args = [text(method_el, "userName"), text(method_el, "password"), text(method_el, "locale")] \
            if name == "Login" else []
        return STUB.SerializeRequest(mo, mo._GetMethodInfo(name), args)
    if name == "RetrievePropertiesEx":
        assert this_type == "PropertyCollector"
        mo = PC(this_id, STUB)
        specs = [filter_spec(s) for s in method_el.findall("vim:specSet", NS)]
        opts = PC.RetrieveOptions()
        mo_text = method_el.find("vim:options/vim:maxObjects", NS)
        if mo_text is not None:
            opts.maxObjects = int(mo_text.text)
        return STUB.SerializeRequest(mo, mo._GetMethodInfo(name), [specs, opts])
    if name == "CreateFilter":
        mo = PC(this_id, STUB)
        return STUB.SerializeRequest(mo, mo._GetMethodInfo(name), [filter_spec(method_el.find("vim:spec", NS)),
                                                                   boolean(text(method_el, "partialUpdates"))])
    if name == "WaitForUpdatesEx":
        mo = PC(this_id, STUB)
        opts = PC.WaitOptions()
        wait = method_el.find("vim:options/vim:maxWaitSeconds", NS)
        if wait is not None:
            opts.maxWaitSeconds = int(wait.text)
        return STUB.SerializeRequest(mo, mo._GetMethodInfo(name), [text(method_el, "version") or "", opts])
    if name == "DestroyPropertyFilter":
        assert this_type == "PropertyFilter"
        mo = PC.Filter(this_id, STUB)
        return STUB.SerializeRequest(mo, mo._GetMethodInfo("Destroy"), [])
    if name == "ContinueRetrievePropertiesEx":
        mo = PC(this_id, STUB)
        return STUB.SerializeRequest(mo, mo._GetMethodInfo(name), [text(method_el, "token")])
    raise AssertionError("no pyVmomi mapping for %s: add one" % name)


class WireTest(unittest.TestCase):
    def test_every_soap_request_matches_pyvmomi(self):
        with Scenario() as scn:
            conf = scn.config(vcenter__page_size="2")
            p = subprocess.run([os.environ["NW_WIRE_CAPTURE"], conf], capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr)
        seen = set()
        records = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertGreater(len(records), 4)
        for i, rec in enumerate(records):
            body = ET.fromstring(rec["body"])
            method = body.find("soapenv:Body", NS)[0]
            name = method.tag.split("}")[1]
            seen.add(name)
            with self.subTest(i=i, method=name):
                self.assertEqual(canon(rec["body"]), canon(pyvmomi_body(method)))
                if name != "RetrieveServiceContent":
                    self.assertEqual(rec["action"], '"urn:vim25/6.7"')
        self.assertEqual(seen, {"RetrieveServiceContent", "Login", "RetrievePropertiesEx",
                                "ContinueRetrievePropertiesEx", "CreateFilter", "WaitForUpdatesEx",
                                "DestroyPropertyFilter", "Logout"})


if __name__ == "__main__":
    testmain.main()
