"""Demo text for seed_demo, written for this project."""

REPORTS = [
    {
        "slug": "medication-not-given-anticoagulation",
        "title": "Medication not given: anticoagulation before and after a procedure",
        "reference": "NIR/2026/003",
        "date": (2026, 3, 12),
        "colour": "#005eb8",
        "topics": ["Medication safety", "Surgery and procedures"],
        "summary": (
            "A patient's anticoagulant was paused before a planned procedure and not restarted afterwards. "
            "We looked at how plans for stopping and restarting these medicines are made, shared and acted on "
            "as patients move between teams."
        ),
        "event": (
            "<p>An older patient who took an anticoagulant for atrial fibrillation was admitted for a planned "
            "procedure. The medicine was withheld beforehand, as intended. After the procedure the plan to restart "
            "it was recorded in the operation note but did not reach the ward's prescribing chart. The patient was "
            "discharged without it and was readmitted nine days later with a stroke.</p>"
        ),
        "findings": (
            "<ul><li>Plans to stop and restart anticoagulants were written in several places, and no single record "
            "showed the whole plan.</li><li>Electronic prescribing systems did not prompt staff when a withheld "
            "medicine had no restart date.</li><li>Handover between the procedure team and the ward relied on "
            "verbal communication at busy times.</li><li>Discharge medicine reconciliation compared the chart with "
            "itself rather than with what the patient took before admission.</li></ul>"
        ),
        "recommendations": [
            (
                "R/2026/011",
                "NHS England",
                "Develop national guidance on recording a single, visible plan for "
                "withholding and restarting anticoagulants around procedures.",
            ),
            (
                "R/2026/012",
                "Suppliers of electronic prescribing systems",
                "Provide an alert when a medicine is withheld without a planned restart date or review.",
            ),
        ],
        "observations": [
            (
                "O/2026/021",
                "Trusts may benefit from including withheld medicines explicitly in discharge checklists.",
            ),
        ],
        "prompts": (
            "<ul><li>Where is the plan for a withheld medicine recorded in your organisation, and who can see it?</li>"
            "<li>What would prompt a ward team to notice that a restart is overdue?</li></ul>"
        ),
    },
    {
        "slug": "safety-management-accountability",
        "title": "Safety management: accountability across organisational boundaries",
        "reference": "NIR/2026/007",
        "date": (2026, 6, 4),
        "colour": "#007f3b",
        "topics": ["Safety management", "Integrated care"],
        "summary": (
            "When care is shared between organisations, who is accountable for managing the risks that sit "
            "between them? This investigation explored how safety is governed across integrated care pathways."
        ),
        "event": (
            "<p>A patient receiving care from a hospital, a community service and their GP practice experienced a "
            "delay in follow-up after abnormal test results. Each organisation believed another held responsibility "
            "for acting on the results.</p>"
        ),
        "findings": (
            "<ul><li>Safety management systems were designed around single organisations.</li><li>Shared pathways "
            "had no agreed owner for the risks that arose at handover points.</li><li>Incident reporting systems could "
            "not easily follow an incident that crossed organisational boundaries.</li></ul>"
        ),
        "recommendations": [
            (
                "R/2026/019",
                "Department of Health and Social Care",
                "Set expectations for how accountability for "
                "safety risks on shared pathways is agreed and recorded by integrated care systems.",
            ),
        ],
        "observations": [
            (
                "O/2026/030",
                "Joint reviews of incidents across organisations can reveal risks that no single organisation sees.",
            ),
        ],
        "prompts": (
            "<ul><li>Which of your pathways cross organisational boundaries, and who owns the risks at each "
            "handover?</li></ul>"
        ),
    },
    {
        "slug": "learning-from-deaths-mental-health",
        "title": (
            "Creating conditions for learning from deaths in mental health inpatient services and when patients "
            "die within 30 days of discharge"
        ),
        "reference": "NIR/2026/010",
        "date": (2026, 9, 18),
        "colour": "#330072",
        "topics": ["Mental health", "Learning from deaths"],
        "summary": (
            "We examined how mental health services review deaths of inpatients and of patients who die soon after "
            "discharge, and what helps families, staff and organisations learn from them."
        ),
        "event": (
            "<p>The investigation drew on reviews of deaths across several mental health providers, and on "
            "conversations with bereaved families and with staff who had taken part in reviews.</p>"
        ),
        "findings": (
            "<ul><li>Reviews often focused on whether policies were followed rather than on the conditions staff "
            "worked in.</li><li>Families were not consistently involved or told what was learned.</li><li>Staff "
            "described reviews as stressful and sometimes as looking for someone to blame.</li></ul>"
        ),
        "recommendations": [
            (
                "R/2026/024",
                "NHS England",
                "Support mental health providers to adopt a systems approach to "
                "reviewing deaths, with meaningful involvement of families.",
            ),
        ],
        "observations": [
            (
                "O/2026/041",
                "Psychological support for staff after a patient's death can help them take part openly in learning.",
            ),
        ],
        "prompts": (
            "<ul><li>How are families involved in reviews of deaths in your service?</li><li>What would make "
            "staff feel safe to speak openly during a review?</li></ul>"
        ),
    },
]

ARTICLES = [
    {
        "slug": "education-programme-shortlisted-for-award",
        "title": "Our education programme is shortlisted for a national patient safety award",
        "kind": "news",
        "date": (2026, 10, 2),
        "colour": "#ffb81c",
        "topics": ["Education"],
        "teaser": (
            "The systems approach course has been shortlisted in the education and training category of a national "
            "patient safety awards scheme."
        ),
        "body": [
            (
                "rich_text",
                "<p>We are delighted that our flagship course, <em>A systems approach to investigating and "
                "learning from patient safety incidents</em>, has been shortlisted for a national award for patient "
                "safety education.</p><p>More than two thousand NHS staff have taken the course since it launched. The "
                "judges will announce the winners in the spring.</p>",
            ),
        ],
    },
    {
        "slug": "learning-prompts-anticoagulation",
        "title": "New learning prompts on withholding and restarting anticoagulants",
        "kind": "news",
        "date": (2026, 8, 21),
        "colour": "#005eb8",
        "topics": ["Medication safety"],
        "teaser": (
            "A set of learning prompts helps teams discuss how plans for anticoagulants are made and followed "
            "around procedures."
        ),
        "body": [
            (
                "rich_text",
                "<p>Following our report on anticoagulation before and after procedures, we have "
                "published learning prompts for multidisciplinary teams.</p>",
            ),
            (
                "markdown",
                "| Prompt | Who to involve |\n|---|---|\n| Where is the restart plan recorded? | "
                "Pharmacy, ward nurses |\n| Who checks it at discharge? | Doctors, pharmacy |",
            ),
        ],
    },
    {
        "slug": "no-fault-compensation-birth-injury-japan",
        "title": "What can we learn from Japan's no-fault compensation scheme for birth injury?",
        "kind": "blog",
        "date": (2026, 7, 9),
        "colour": "#ae2573",
        "topics": ["Maternity"],
        "teaser": (
            "A guest blog on how a no-fault scheme for cerebral palsy linked to birth connects compensation with "
            "learning and prevention."
        ),
        "author": ("Dr Hana Mori", "Visiting researcher in health policy", True),
        "body": [
            (
                "rich_text",
                "<p>In 2009 Japan introduced a no-fault compensation scheme for families of children with "
                "severe cerebral palsy related to birth. Families receive support without having to prove negligence, "
                "and every case is reviewed by experts to find lessons for obstetric care.</p><p>The reviews feed "
                "recommendations back to maternity units across the country. The scheme shows how separating "
                "compensation from blame can make open learning easier.</p>",
            ),
        ],
    },
]

ABOUT_US = {
    "intro": (
        "We investigate patient safety concerns across the NHS in England to improve care for everyone. Our "
        "investigations do not find blame or liability."
    ),
    "body": (
        "<p>Our investigators work with patients, families and staff to understand how the whole system of care "
        "shapes what happens. We publish our findings and make safety recommendations to the organisations "
        "best placed to act.</p><p>Our education programme shares the systems approach that our investigators "
        "use. Its CPD-accredited courses are delivered online by safety-investigation experts.</p>"
    ),
}

EDUCATION = {
    "intro": (
        "Our CPD-accredited courses are delivered online by safety-investigation experts. They are free for NHS "
        "staff in England and open to fee-paying learners from elsewhere."
    ),
    "body": (
        "<p>Our flagship course, <em>A systems approach to investigating and learning from patient safety "
        "incidents</em>, launches new cohorts through the year. You will learn to look at the whole work system, "
        "not at individual blame.</p>"
    ),
}

HOME = {
    "hero_heading": "Improving patient safety through independent investigation and education",
    "hero_text": (
        "We investigate patient safety concerns across healthcare in England, and teach the systems approach to "
        "the people who investigate and learn from incidents."
    ),
    "about_text": "<p>We are independent. Our investigations do not find blame or liability.</p>",
    "investigations_text": "<p>Read what our national investigations found, and the recommendations we made.</p>",
    "education_text": "<p>CPD-accredited online courses, free for NHS staff in England.</p>",
}

# One account per role; the development password is in the README.
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - development demo only
ACCOUNTS = [
    {
        "email": "nhs.learner@nhs.net",
        "name": "Priya Shah",
        "role": "NHS learner",
        "job": "Ward sister",
        "org": "Northfield Hospitals NHS Foundation Trust",
    },
    {
        "email": "external.learner@example.com",
        "name": "Jamie Campbell",
        "role": "External learner",
        "job": "Quality and safety lead",
        "org": "Harbour Independent Clinic",
    },
    {
        "email": "editor@example.org",
        "name": "Sam Okafor",
        "role": "Editor",
        "group": "Editors",
    },
    {
        "email": "moderator@example.org",
        "name": "Morgan Ellis",
        "role": "Moderator",
        "group": "Moderators",
    },
    {
        "email": "course.lead@example.org",
        "name": "Dr Chris Adeyemi",
        "role": "Course lead",
        "group": "Course leads",
    },
    {
        "email": "admin@example.org",
        "name": "Robin Hughes",
        "role": "Administrator",
        "superuser": True,
    },
]
